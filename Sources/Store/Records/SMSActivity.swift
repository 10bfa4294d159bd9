import Foundation

/// One inbound SMS, or one failed U./P. check, by sender and/or account (table
/// `smsActivity`): what the per-sender and per-account limits and the lockout count.
public struct SMSActivity: Codable, Sendable, Hashable, Identifiable {
    public enum Kind: String, Codable, Sendable, Hashable {
        /// A message received (counted by the rate limits).
        case message
        /// Wrong credentials (counted by the lockout).
        case authenticationFailure = "auth-failure"
    }

    public var id: Int64?
    public var kind: Kind
    public var sender: String?
    public var accountID: Int64?
    public var at: Date

    public init(id: Int64? = nil, kind: Kind, sender: String?, accountID: Int64?, at: Date) {
        self.id = id
        self.kind = kind
        self.sender = sender
        self.accountID = accountID
        self.at = at
    }
}
