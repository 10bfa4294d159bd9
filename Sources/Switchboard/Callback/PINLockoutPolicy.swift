import Foundation
import Store

/// `callback.pin-lockout`: after `attempts` PIN failures within `period` by one caller ID
/// (withheld ones share one bucket) or against one account, after `sourceAttempts` from
/// one source address, or after `globalAttempts` from everyone together, PIN entry is
/// refused (`locked`) until the oldest of them ages out of the period. Rotating the caller
/// ID, the source or the PIN tried cannot escape every count, and the global one bounds
/// guessing whatever rotates. Pure: counts and time in, verdict out; the Store keeps the counts.
public struct PINLockoutPolicy: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        case open
        /// Locked out; `callerID`/`account` say which count reached the limit.
        case locked(callerID: Bool, account: Bool)
        /// The source address reached its limit.
        case lockedSource
        /// All callers together reached the global limit.
        case lockedGlobally

        public var isLocked: Bool { self != .open }
    }

    public var attempts: Int
    public var period: TimeInterval
    public var sourceAttempts: Int
    public var globalAttempts: Int

    public init(attempts: Int, period: TimeInterval, sourceAttempts: Int = 10, globalAttempts: Int = 200) {
        self.attempts = max(1, attempts)
        self.period = period
        self.sourceAttempts = max(1, sourceAttempts)
        self.globalAttempts = max(1, globalAttempts)
    }

    public init(_ configuration: SwitchbackConfiguration.Callback.PINLockout) {
        self.init(attempts: configuration.attempts, period: configuration.period.timeInterval,
                  sourceAttempts: configuration.sourceAttempts, globalAttempts: configuration.globalAttempts)
    }

    /// The start of the counted period ending at `now`.
    public func windowStart(now: Date) -> Date {
        now.addingTimeInterval(-period)
    }

    public func verdict(_ counts: PINFailureCounts) -> Verdict {
        if counts.global >= globalAttempts { return .lockedGlobally }
        if counts.source >= sourceAttempts { return .lockedSource }
        return verdict(callerFailures: counts.callerID, accountFailures: counts.account)
    }

    public func verdict(callerFailures: Int, accountFailures: Int) -> Verdict {
        let byCaller = callerFailures >= attempts
        let byAccount = accountFailures >= attempts
        return byCaller || byAccount ? .locked(callerID: byCaller, account: byAccount) : .open
    }

    /// Asks the store whether a PIN entry by `callerID` from `source` (for `account`, when
    /// known) may be tried now.
    public func check(_ store: any PINLockoutStore, callerID: String?, account: Int64?, source: String? = nil,
                      now: Date) throws -> Verdict {
        verdict(try store.pinFailureCounts(callerID: callerID, account: account, source: source,
                                           since: windowStart(now: now)))
    }
}
