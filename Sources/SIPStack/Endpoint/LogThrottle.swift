import NIOCore

/// At most one log line per `interval` for an event that can come at line rate (a flood
/// of refused connections): the first is logged at once, the rest are counted and the
/// count goes with the next line logged.
struct LogThrottle {
    let interval: TimeAmount
    private var nextAllowed: NIODeadline?
    private var suppressed = 0

    init(interval: TimeAmount) {
        self.interval = interval
    }

    /// Whether to log now, and how many occurrences went unlogged since the last line.
    mutating func shouldLog(now: NIODeadline) -> (log: Bool, suppressed: Int) {
        if let nextAllowed, now < nextAllowed {
            suppressed += 1
            return (false, 0)
        }
        nextAllowed = now + interval
        defer { suppressed = 0 }
        return (true, suppressed)
    }
}
