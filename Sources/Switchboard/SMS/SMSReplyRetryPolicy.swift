import Foundation

/// When a reply the gateway did not accept is tried again: after `backoff`, doubling per
/// failed attempt up to `maxBackoff`; after `attempts` attempts it is given up.
public struct SMSReplyRetryPolicy: Sendable, Equatable {
    public var attempts: Int
    public var backoff: Duration
    public var maxBackoff: Duration

    public init(attempts: Int, backoff: Duration, maxBackoff: Duration) {
        self.attempts = attempts
        self.backoff = backoff
        self.maxBackoff = maxBackoff
    }

    public init(_ settings: SwitchbackConfiguration.SMS.ReplyRetry) {
        self.init(attempts: settings.attempts, backoff: settings.backoff, maxBackoff: settings.maxBackoff)
    }

    /// The wait after the `failedAttempts`-th failure (1 for the first); nil: give up.
    public func delay(afterFailedAttempts failedAttempts: Int) -> Duration? {
        guard failedAttempts < attempts else { return nil }
        var delay = backoff
        for _ in 1..<max(1, failedAttempts) {
            delay = delay * 2
            if delay >= maxBackoff { return maxBackoff }
        }
        return min(delay, maxBackoff)
    }
}
