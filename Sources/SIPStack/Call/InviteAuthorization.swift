import SIP

/// Credentials to put on a re-sent INVITE (RFC 3261 §22.2): `Authorization` answers a
/// 401's WWW-Authenticate, `Proxy-Authorization` a 407's Proxy-Authenticate.
public struct InviteAuthorization: Sendable, Hashable {
    public var headerName: String
    public var credentials: DigestCredentials

    public init(headerName: String, credentials: DigestCredentials) {
        self.headerName = headerName
        self.credentials = credentials
    }
}
