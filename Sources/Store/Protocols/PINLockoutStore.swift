import Foundation

/// PIN failures, counted per caller ID and per account, so the PIN path can lock a
/// guesser out (issue 6, fraud guards). The policy (how many, for how long) is the
/// caller's; the store only records and counts.
public protocol PINLockoutStore: Sendable {
    /// Records one failed PIN entry by `callerID` (nil: withheld) for `account` (nil: the
    /// PIN matched no account). At least one of the two must be given.
    func recordPINFailure(callerID: String?, account: Int64?, at now: Date) throws
    /// Failures since `since`, by this caller ID and against this account (a nil key counts 0).
    func pinFailureCounts(callerID: String?, account: Int64?, since: Date) throws -> PINFailureCounts
    /// Forgets the failures of a caller ID and of an account (after a PIN success).
    func clearPINFailures(callerID: String?, account: Int64?) throws
    /// Deletes failures older than `before` (housekeeping); returns how many.
    func prunePINFailures(before: Date) throws -> Int
}

/// How many PIN failures a caller ID and an account have in the counted period.
public struct PINFailureCounts: Sendable, Hashable {
    public var callerID: Int
    public var account: Int

    public init(callerID: Int, account: Int) {
        self.callerID = callerID
        self.account = account
    }
}
