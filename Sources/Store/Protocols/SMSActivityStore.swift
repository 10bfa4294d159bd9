import Foundation

/// Inbound messages and credential failures by sender and by account, for the SMS
/// trigger's rate limits and lockout. The policy is the caller's; the store counts.
public protocol SMSActivityStore: Sendable {
    func recordSMSActivity(_ kind: SMSActivity.Kind, sender: String?, account: Int64?, at now: Date) throws
    /// Events of `kind` since `since`, by this sender and against this account (nil key: 0).
    func smsActivityCounts(_ kind: SMSActivity.Kind, sender: String?, account: Int64?, since: Date) throws
        -> SMSActivityCounts
    /// Forgets the credential failures of a sender and of an account (after a success).
    func clearSMSAuthenticationFailures(sender: String?, account: Int64?) throws
    /// Deletes events older than `before` (housekeeping); returns how many.
    func pruneSMSActivity(before: Date) throws -> Int
}

public struct SMSActivityCounts: Sendable, Hashable {
    public var sender: Int
    public var account: Int

    public init(sender: Int, account: Int) {
        self.sender = sender
        self.account = account
    }
}
