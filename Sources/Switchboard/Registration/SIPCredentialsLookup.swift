import Foundation

/// Where the registrar finds a user's Digest HA1 (RFC 7616 §3.4.2: H(username:realm:password)),
/// the only secret it needs: the Store's accounts, or a table given to the server.
/// Called off the SIP event loop: an implementation may block on its database.
public protocol SIPCredentialsLookup: Sendable {
    /// The MD5 HA1 of `username` in `realm`, or nil for no such user (or one not allowed to register).
    func ha1(username: String, realm: String) async -> String?
}

/// A fixed table of HA1 values by username, for servers without a store and for tests.
public struct SIPCredentialsTable: SIPCredentialsLookup {
    public var realm: String
    public var ha1ByUsername: [String: String]

    public init(realm: String, ha1ByUsername: [String: String]) {
        self.realm = realm
        self.ha1ByUsername = ha1ByUsername
    }

    public func ha1(username: String, realm: String) async -> String? {
        guard realm == self.realm else { return nil }
        return ha1ByUsername[username]
    }
}
