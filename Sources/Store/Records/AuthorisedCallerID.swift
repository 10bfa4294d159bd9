import Foundation

/// A phone number allowed to authenticate as an account by caller ID (ANI), table
/// `authorisedCallerID`. A number belongs to at most one account.
public struct AuthorisedCallerID: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var accountID: Int64
    public var number: String
    public var createdAt: Date
}
