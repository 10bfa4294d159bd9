import Foundation

/// The verdict on Digest credentials.
public enum DigestVerdict: Sendable, Hashable {
    case ok
    /// The response was right but the nonce expired: challenge again with stale=true.
    case stale
    /// Wrong password (or wrong username/realm/uri): challenge again, count failures.
    case wrongResponse
    /// The nonce was not issued by us.
    case badNonce
    /// The credentials' `uri` is not the Request-URI (RFC 7616 §3.4.6: credentials
    /// lifted from another request): refused like a wrong response.
    case wrongURI
    /// The credentials cannot be checked (unsupported qop, missing fields...).
    case malformed(String)
}

/// Server-side Digest verification against a stored HA1 (RFC 7616 §3.4, RFC 3261 §22.4).
public struct DigestVerifier: Sendable {
    public var nonces: DigestNonces
    /// When set, credentials for another realm are `.wrongResponse`.
    public var realm: String?

    public init(nonces: DigestNonces, realm: String? = nil) {
        self.nonces = nonces
        self.realm = realm
    }

    /// - Parameters:
    ///   - ha1: H(username:realm:password) computed with the hash of
    ///     `credentials.algorithm` (MD5 for MD5/MD5-sess, SHA-256 for SHA-256/-sess).
    ///   - method: the request method (`REGISTER`, `INVITE`...).
    ///   - requestURI: the request's Request-URI; nil skips the comparison (a client-side check).
    public func verify(credentials: DigestCredentials, method: String, requestURI: SIPURI? = nil, ha1: String,
                       now: Date) -> DigestVerdict {
        if let qop = credentials.qop, qop.lowercased() != "auth" { return .malformed("unsupported qop \(qop)") }
        if credentials.algorithm.isSession && credentials.cnonce == nil { return .malformed("\(credentials.algorithm.rawValue) without cnonce") }
        if let realm, credentials.realm != realm { return .wrongResponse }
        if let requestURI, !Self.sameURI(credentials.uri, requestURI) { return .wrongURI }
        let validity = nonces.validity(of: credentials.nonce, now: now)
        if validity == .invalid { return .badNonce }
        let expected = Digest.response(ha1: ha1.lowercased(), algorithm: credentials.algorithm, nonce: credentials.nonce,
                                       nonceCount: credentials.nonceCount, cnonce: credentials.cnonce, qop: credentials.qop,
                                       method: method, uri: credentials.uri)
        guard Digest.constantTimeEqual(expected, credentials.response.lowercased()) else { return .wrongResponse }
        return validity == .expired ? .stale : .ok
    }

    /// RFC 7616 §3.4.6: the `uri` must name the Request-URI. Clients copy it verbatim; a
    /// parsed comparison (scheme, user, host, port) also accepts harmless respellings. A
    /// `uri` without a user part naming the same host and port (what sipp sends) names
    /// this server as a whole and is accepted; one naming another user or host is not
    /// (replays are stopped by the nonce table in any case).
    static func sameURI(_ text: String, _ uri: SIPURI) -> Bool {
        if text == uri.description { return true }
        guard let parsed = try? SIPURI(parsing: text) else { return false }
        return parsed.scheme.lowercased() == uri.scheme.lowercased() && (parsed.user == uri.user || parsed.user == nil)
            && parsed.host.lowercased() == uri.host.lowercased() && (parsed.port ?? 5060) == (uri.port ?? 5060)
    }
}
