import Foundation

/// PIN failures, counted per caller ID, per account, per source address and in all, so
/// the PIN path can lock a guesser out (issue 6, fraud guards; issue 11: per source and
/// global). The policy (how many, for how long) is the caller's; the store only records
/// and counts.
public protocol PINLockoutStore: Sendable {
    /// Records one failed PIN entry by `callerID` (the caller's bucket; withheld callers
    /// share one) from `source` (nil: unknown) for `account` (nil: the PIN matched no account).
    func recordPINFailure(callerID: String?, account: Int64?, source: String?, at now: Date) throws
    /// Failures since `since` by this caller ID, against this account, from this source
    /// (a nil key counts 0), and by everyone.
    func pinFailureCounts(callerID: String?, account: Int64?, source: String?, since: Date) throws -> PINFailureCounts
    /// Forgets the failures of a caller ID and of an account (after a PIN success).
    func clearPINFailures(callerID: String?, account: Int64?) throws
    /// Deletes failures older than `before` (housekeeping); returns how many.
    func prunePINFailures(before: Date) throws -> Int
}

extension PINLockoutStore {
    public func recordPINFailure(callerID: String?, account: Int64?, at now: Date) throws {
        try recordPINFailure(callerID: callerID, account: account, source: nil, at: now)
    }

    public func pinFailureCounts(callerID: String?, account: Int64?, since: Date) throws -> PINFailureCounts {
        try pinFailureCounts(callerID: callerID, account: account, source: nil, since: since)
    }
}

/// How many PIN failures a caller ID, an account, a source address and everyone have in
/// the counted period.
public struct PINFailureCounts: Sendable, Hashable {
    public var callerID: Int
    public var account: Int
    public var source: Int
    public var global: Int

    public init(callerID: Int, account: Int, source: Int = 0, global: Int = 0) {
        self.callerID = callerID
        self.account = account
        self.source = source
        self.global = global
    }
}
