/// A Digest challenge: the value of WWW-Authenticate or Proxy-Authenticate
/// (RFC 7616 §3.3, RFC 3261 §22.4).
public struct DigestChallenge: Sendable, Hashable, CustomStringConvertible {
    public var realm: String
    public var nonce: String
    public var opaque: String?
    /// The previous nonce was valid but expired: retry with the new one, no new password prompt.
    public var stale: Bool
    public var algorithm: DigestAlgorithm
    /// Offered qop values; ["auth"] from this server.
    public var qop: [String]
    public var domain: String?

    public init(realm: String, nonce: String, opaque: String? = nil, stale: Bool = false, algorithm: DigestAlgorithm = .md5, qop: [String] = ["auth"], domain: String? = nil) {
        self.realm = realm
        self.nonce = nonce
        self.opaque = opaque
        self.stale = stale
        self.algorithm = algorithm
        self.qop = qop
        self.domain = domain
    }

    public init(parsing value: String) throws(DigestParseError) {
        let p = try DigestParameters.parse(value)
        guard let realm = p["realm"] else { throw DigestParseError("challenge without realm") }
        guard let nonce = p["nonce"] else { throw DigestParseError("challenge without nonce") }
        self.realm = realm
        self.nonce = nonce
        opaque = p["opaque"]
        stale = p["stale"]?.lowercased() == "true"
        if let a = p["algorithm"] {
            guard let alg = DigestAlgorithm(token: a) else { throw DigestParseError("unsupported algorithm \(a)") }
            algorithm = alg
        } else {
            algorithm = .md5
        }
        // Blank elements (`qop="auth, ,x"`) are dropped: written back they would vanish
        // (fuzzing found the challenge then read back differently).
        qop = p["qop"].map { $0.split(separator: ",").map { $0.sipTrimmed }.filter { !$0.isEmpty } } ?? []
        domain = p["domain"]
    }

    public var description: String {
        var s = "Digest realm=\(DigestParameters.quoted(realm)), nonce=\(DigestParameters.quoted(nonce))"
        if let domain { s += ", domain=\(DigestParameters.quoted(domain))" }
        if let opaque { s += ", opaque=\(DigestParameters.quoted(opaque))" }
        if stale { s += ", stale=true" }
        s += ", algorithm=\(algorithm.rawValue)"
        if !qop.isEmpty { s += ", qop=\(DigestParameters.quoted(qop.joined(separator: ",")))" }
        return s
    }
}
