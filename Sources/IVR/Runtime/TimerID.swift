import Foundation

/// Names one `.startTimer` action. The edge owns the clock: it schedules the timer and
/// reports `.timerFired(id)`. A firing of a cancelled or superseded timer is stale and
/// ignored, so the edge may race a cancel against a firing safely.
public struct TimerID: Sendable, Hashable, CustomStringConvertible {
    public var rawValue: Int
    public init(_ rawValue: Int) { self.rawValue = rawValue }
    public var description: String { "timer#\(rawValue)" }
}
