import Foundation

/// A reply waiting in (or sent from) the SMS outbox (table `smsOutbox`): kept until the
/// gateway accepted it, so a gateway restart loses no reply.
public struct OutboundSMS: Codable, Sendable, Hashable, Identifiable {
    public enum State: String, Codable, Sendable, Hashable {
        /// Not yet accepted by the gateway; due at `nextAttemptAt`.
        case pending
        /// The gateway accepted it.
        case sent
        /// Attempts exhausted; `lastError` says why.
        case failed
    }

    public var id: Int64?
    /// The gateway (`sms.gateways[].name`) that sends it.
    public var gateway: String
    /// The service number it comes from (the number the user texted).
    public var sender: String
    public var recipient: String
    public var text: String
    /// The account the reply is about, if one was identified.
    public var accountID: Int64?
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var createdAt: Date
    public var sentAt: Date?

    public init(id: Int64? = nil, gateway: String, sender: String, recipient: String, text: String, accountID: Int64?,
                state: State = .pending, attempts: Int = 0, nextAttemptAt: Date, lastError: String? = nil,
                createdAt: Date, sentAt: Date? = nil) {
        self.id = id
        self.gateway = gateway
        self.sender = sender
        self.recipient = recipient
        self.text = text
        self.accountID = accountID
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}
