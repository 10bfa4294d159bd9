import Foundation

/// The durable outbox of SMS replies: a reply is written before any attempt to send it and
/// leaves the `pending` state only when the gateway accepted it or the attempts ran out.
public protocol SMSOutboxStore: Sendable {
    /// Writes a pending reply due at `now`.
    func enqueueSMS(gateway: String, sender: String, recipient: String, text: String, account: Int64?,
                    at now: Date) throws -> OutboundSMS
    /// Pending replies due at or before `now`, oldest first.
    func dueSMS(at now: Date, limit: Int) throws -> [OutboundSMS]
    /// When the next pending reply is due; nil: none is pending.
    func nextSMSDue() throws -> Date?
    func markSMSSent(id: Int64, at now: Date) throws
    /// Counts a failed attempt: due again at `retryAt`, or `failed` for good when nil.
    func markSMSAttemptFailed(id: Int64, error: String, retryAt: Date?, at now: Date) throws
    func outboundSMS(id: Int64) throws -> OutboundSMS?
    /// Every reply to `recipient` (nil: all), oldest first.
    func outboundSMS(recipient: String?) throws -> [OutboundSMS]
}

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
