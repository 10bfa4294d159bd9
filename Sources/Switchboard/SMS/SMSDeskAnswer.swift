import Foundation
import Store

/// What the desk did with one text, and the reply it put in the outbox.
public struct SMSDeskAnswer: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// A callback was queued (or the same one was queued a moment ago).
        case accepted(requestID: Int64, isNew: Bool)
        /// `R.`: the number is now a caller ID of the account.
        case registered(String)
        /// `I.`: the status was sent.
        case status
        /// The text was wrong, or what it asked was refused; the reply says why.
        case rejected(String)
        /// Over a limit: the first message over it gets a reply, the rest none.
        case limited
    }

    public var outcome: Outcome
    /// The reply text; nil: no reply (a flood past its limit).
    public var reply: String?
    /// Where the reply goes: the sender, or an `I.`'s `O.` number on the account's allow-list.
    public var replyTo: String?
    /// The reply's outbox row.
    public var outboxID: Int64?
    public var account: Int64?

    public init(outcome: Outcome, reply: String?, replyTo: String?, outboxID: Int64? = nil, account: Int64? = nil) {
        self.outcome = outcome
        self.reply = reply
        self.replyTo = replyTo
        self.outboxID = outboxID
        self.account = account
    }
}
