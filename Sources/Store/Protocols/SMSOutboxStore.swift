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
