import Foundation

/// When a callback whose A leg was not answered is tried again, and when it is given up
/// (issue 6, "retries with back-off when the A leg is busy or does not answer").
///
/// Pure: the number of attempts made so far in, a decision out; no clock.
public struct CallbackRetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included (`callback.retry.attempts`).
    public var attempts: Int
    /// The wait before the first retry (`callback.retry.backoff`); it doubles for each
    /// further retry, up to `maximumBackoff`.
    public var backoff: Duration
    public var maximumBackoff: Duration

    public init(attempts: Int = 3, backoff: Duration = .seconds(30), maximumBackoff: Duration = .seconds(3600)) {
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.maximumBackoff = maximumBackoff
    }

    public enum Decision: Sendable, Equatable {
        /// Queue it again, due after this wait.
        case retry(after: Duration)
        /// Fail the request for good, with the reason recorded.
        case giveUp(reason: String)
    }

    /// - Parameters:
    ///   - failure: how the attempt ended.
    ///   - attemptsMade: attempts so far, this one included (≥ 1).
    public func decide(after failure: CallbackALegFailure, attemptsMade: Int) -> Decision {
        switch failure {
        case .failed:
            // A wrong number or an unreachable route does not get better by waiting.
            return .giveUp(reason: "the A leg failed: not retried")
        case .busy, .noAnswer:
            guard attemptsMade < attempts else {
                return .giveUp(reason: "\(failure.rawValue) after \(attemptsMade) attempt\(attemptsMade == 1 ? "" : "s")")
            }
            return .retry(after: delay(beforeRetry: attemptsMade))
        }
    }

    /// The wait before retry number `retry` (1 for the first): backoff × 2^(retry−1), capped.
    public func delay(beforeRetry retry: Int) -> Duration {
        var wait = backoff
        for _ in 1..<max(1, retry) {
            wait = wait * 2
            if wait >= maximumBackoff { return maximumBackoff }
        }
        return min(wait, maximumBackoff)
    }
}

/// The per-account limits on callbacks (`callback.limits`): how many may be in progress
/// at once, and how many may be asked for per rolling hour. Pure.
public struct CallbackLimits: Sendable, Equatable {
    /// 0: no limit.
    public var concurrentPerAccount: Int
    /// 0: no limit.
    public var perHourPerAccount: Int
    /// How long a request over the concurrency limit waits before it is looked at again.
    public var postponement: Duration

    public init(concurrentPerAccount: Int = 2, perHourPerAccount: Int = 10, postponement: Duration = .seconds(5)) {
        self.concurrentPerAccount = concurrentPerAccount
        self.perHourPerAccount = perHourPerAccount
        self.postponement = postponement
    }

    public enum Decision: Sendable, Equatable {
        case proceed
        /// Too many of the account's callbacks are in progress: try again later, no attempt used.
        case postpone(after: Duration)
        /// The account asked for more callbacks this hour than allowed: fail the request.
        case refuse(reason: String)
    }

    /// - Parameters:
    ///   - othersActive: the account's other callbacks in progress (this one not counted).
    ///   - createdBefore: the account's requests created in the hour before this one.
    public func decide(othersActive: Int, createdBefore: Int) -> Decision {
        if perHourPerAccount > 0, createdBefore >= perHourPerAccount {
            return .refuse(reason: "limit: \(perHourPerAccount) callbacks per hour per account")
        }
        if concurrentPerAccount > 0, othersActive >= concurrentPerAccount {
            return .postpone(after: postponement)
        }
        return .proceed
    }
}
