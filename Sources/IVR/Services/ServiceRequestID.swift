import Foundation

/// Matches a `.serviceResult` to the `.request` it answers; answers to any other id are
/// stale (the node that asked has been left) and ignored.
public struct ServiceRequestID: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "request#\(rawValue)" }
}
