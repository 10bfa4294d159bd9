import Foundation

/// Names one `.play` action so its `.promptFinished` can be matched to it. A finish for
/// any other id (a playback already stopped or superseded) is stale and ignored.
public struct PlaybackID: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "playback#\(rawValue)" }
}
