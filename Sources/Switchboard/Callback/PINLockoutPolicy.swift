import Foundation
import Store

/// `callback.pin-lockout`: after `attempts` PIN failures within `period`, by one caller ID
/// or against one account, PIN entry is refused (`locked`) until the oldest of them ages
/// out of the period. Pure: counts and time in, verdict out; the Store keeps the counts.
public struct PINLockoutPolicy: Sendable, Hashable {
    public enum Verdict: Sendable, Hashable {
        case open
        /// Locked out; `callerID`/`account` say which count reached the limit.
        case locked(callerID: Bool, account: Bool)

        public var isLocked: Bool { self != .open }
    }

    public var attempts: Int
    public var period: TimeInterval

    public init(attempts: Int, period: TimeInterval) {
        self.attempts = max(1, attempts)
        self.period = period
    }

    public init(_ configuration: SwitchbackConfiguration.Callback.PINLockout) {
        let components = configuration.period.components
        self.init(attempts: configuration.attempts,
                  period: TimeInterval(components.seconds) + TimeInterval(components.attoseconds) / 1e18)
    }

    /// The start of the counted period ending at `now`.
    public func windowStart(now: Date) -> Date {
        now.addingTimeInterval(-period)
    }

    public func verdict(_ counts: PINFailureCounts) -> Verdict {
        verdict(callerFailures: counts.callerID, accountFailures: counts.account)
    }

    public func verdict(callerFailures: Int, accountFailures: Int) -> Verdict {
        let byCaller = callerFailures >= attempts
        let byAccount = accountFailures >= attempts
        return byCaller || byAccount ? .locked(callerID: byCaller, account: byAccount) : .open
    }

    /// Asks the store whether a PIN entry by `callerID` (for `account`, when known) may be
    /// tried now.
    public func check(_ store: any PINLockoutStore, callerID: String?, account: Int64?, now: Date) throws -> Verdict {
        verdict(try store.pinFailureCounts(callerID: callerID, account: account, since: windowStart(now: now)))
    }
}
