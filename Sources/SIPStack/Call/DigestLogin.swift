/// The username and password we answer a Digest challenge with (RFC 3261 §22.2):
/// a trunk's account, configured per gateway. The password stays in memory only to
/// compute responses; it is never sent.
public struct DigestLogin: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    /// Never shows the password (logs print configurations).
    public var description: String { "DigestLogin(username: \(username))" }
}
