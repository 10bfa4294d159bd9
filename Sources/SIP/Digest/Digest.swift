import Crypto

/// The Digest computations of RFC 7616 §3.4 (and RFC 2617 §3.2.2), qop=auth.
public enum Digest {
    /// HA1 = H(username ":" realm ":" password) — what a store keeps instead of the
    /// password. For the -sess algorithms this is the base value; the nonce/cnonce
    /// part is added by `response`.
    public static func ha1(username: String, realm: String, password: String, algorithm: DigestAlgorithm = .md5) -> String {
        algorithm.hash("\(username):\(realm):\(password)")
    }

    /// The `response` value (RFC 7616 §3.4.1). Without `qop` this is the RFC 2069
    /// form H(HA1:nonce:HA2).
    public static func response(ha1: String, algorithm: DigestAlgorithm, nonce: String, nonceCount: String?, cnonce: String?, qop: String?, method: String, uri: String) -> String {
        var a1 = ha1
        if algorithm.isSession { a1 = algorithm.hash("\(ha1):\(nonce):\(cnonce ?? "")") }
        let ha2 = algorithm.hash("\(method):\(uri)")
        if let qop {
            return algorithm.hash("\(a1):\(nonce):\(nonceCount ?? ""):\(cnonce ?? ""):\(qop):\(ha2)")
        }
        return algorithm.hash("\(a1):\(nonce):\(ha2)")
    }

    static func hex<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Constant-time comparison of two response strings.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
