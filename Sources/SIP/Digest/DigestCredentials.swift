/// Digest credentials: the value of Authorization or Proxy-Authorization
/// (RFC 7616 §3.4, RFC 3261 §22.4).
public struct DigestCredentials: Sendable, Hashable, CustomStringConvertible {
    public var username: String
    public var realm: String
    public var nonce: String
    public var uri: String
    public var response: String
    public var algorithm: DigestAlgorithm
    public var cnonce: String?
    public var opaque: String?
    public var qop: String?
    /// nc, 8 hex digits.
    public var nonceCount: String?

    public init(username: String, realm: String, nonce: String, uri: String, response: String, algorithm: DigestAlgorithm = .md5, cnonce: String? = nil, opaque: String? = nil, qop: String? = nil, nonceCount: String? = nil) {
        self.username = username
        self.realm = realm
        self.nonce = nonce
        self.uri = uri
        self.response = response
        self.algorithm = algorithm
        self.cnonce = cnonce
        self.opaque = opaque
        self.qop = qop
        self.nonceCount = nonceCount
    }

    /// Parses quoted or unquoted values in any order. A scheme other than Digest
    /// (RFC 4475 regaut01) is an error: the registrar then challenges.
    public init(parsing value: String) throws(DigestParseError) {
        let p = try DigestParameters.parse(value)
        func required(_ name: String) throws(DigestParseError) -> String {
            guard let v = p[name] else { throw DigestParseError("credentials without \(name)") }
            return v
        }
        username = try required("username")
        realm = try required("realm")
        nonce = try required("nonce")
        uri = try required("uri")
        response = try required("response").lowercased()
        if let a = p["algorithm"] {
            guard let alg = DigestAlgorithm(token: a) else { throw DigestParseError("unsupported algorithm \(a)") }
            algorithm = alg
        } else {
            algorithm = .md5
        }
        cnonce = p["cnonce"]
        opaque = p["opaque"]
        qop = p["qop"]
        nonceCount = p["nc"]
        // qop and nc are tokens (RFC 3261 §25.1 message-qop, nonce-count) and are written
        // back unquoted; fuzzing found a quoted qop with spaces that then could not be read.
        for (name, value) in [("qop", qop), ("nc", nonceCount)] {
            if let value, value.isEmpty || !value.unicodeScalars.allSatisfy(Self.isTokenCharacter) {
                throw DigestParseError("\(name) is not a token")
            }
        }
        if qop != nil && (cnonce == nil || nonceCount == nil) {
            throw DigestParseError("qop given without cnonce and nc")
        }
    }

    /// What a UAC sends in answer to `challenge` (RFC 7616 §3.4): qop=auth when the
    /// challenge offers it, else the RFC 2069 form.
    public static func answering(challenge: DigestChallenge, method: String, uri: String, username: String, password: String, cnonce: String, nonceCount: UInt32 = 1) -> DigestCredentials {
        let useQop = challenge.qop.contains { $0.lowercased() == "auth" }
        let nc = useQop ? Self.formatNonceCount(nonceCount) : nil
        let ha1 = Digest.ha1(username: username, realm: challenge.realm, password: password, algorithm: challenge.algorithm)
        let response = Digest.response(ha1: ha1, algorithm: challenge.algorithm, nonce: challenge.nonce, nonceCount: nc,
                                       cnonce: useQop ? cnonce : nil, qop: useQop ? "auth" : nil, method: method, uri: uri)
        return DigestCredentials(username: username, realm: challenge.realm, nonce: challenge.nonce, uri: uri, response: response,
                                 algorithm: challenge.algorithm, cnonce: useQop ? cnonce : nil, opaque: challenge.opaque,
                                 qop: useQop ? "auth" : nil, nonceCount: nc)
    }

    static func formatNonceCount(_ n: UInt32) -> String {
        let hex = String(n, radix: 16)
        return String(repeating: "0", count: max(0, 8 - hex.count)) + hex
    }

    /// RFC 3261 §25.1 token characters.
    static func isTokenCharacter(_ c: Unicode.Scalar) -> Bool {
        c.isASCII && (("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || "-.!%*_+`'~".unicodeScalars.contains(c))
    }

    public var description: String {
        var s = "Digest username=\(DigestParameters.quoted(username)), realm=\(DigestParameters.quoted(realm)), nonce=\(DigestParameters.quoted(nonce)), uri=\(DigestParameters.quoted(uri)), response=\(DigestParameters.quoted(response)), algorithm=\(algorithm.rawValue)"
        if let cnonce { s += ", cnonce=\(DigestParameters.quoted(cnonce))" }
        if let opaque { s += ", opaque=\(DigestParameters.quoted(opaque))" }
        if let qop { s += ", qop=\(qop)" }
        if let nonceCount { s += ", nc=\(nonceCount)" }
        return s
    }
}
