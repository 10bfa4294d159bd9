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

/// Why a Digest header value could not be read.
public struct DigestParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// `Digest name=value, name="value", ...` (RFC 7616 §3.3–3.4, RFC 7235 auth-param):
/// names case-insensitive, values token or quoted-string, any order, LWS anywhere.
enum DigestParameters {
    static func parse(_ value: String) throws(DigestParseError) -> [String: String] {
        var s = SIPValueScanner(value, header: "Digest")
        s.skipWhitespace()
        guard let scheme = s.token() else { throw DigestParseError("missing authentication scheme") }
        guard scheme.lowercased() == "digest" else { throw DigestParseError("unsupported authentication scheme \(scheme)") }
        var params = [String: String]()
        while true {
            s.skipWhitespace()
            if s.atEnd { break }
            if s.consume(SIPSyntax.comma) { continue }
            guard let name = s.token() else { throw DigestParseError("expected a parameter name at \"\(s.rest().prefix(30))\"") }
            s.skipWhitespace()
            guard s.consume(SIPSyntax.equals) else { throw DigestParseError("parameter \(name) has no value") }
            s.skipWhitespace()
            let v: String
            if s.peek == SIPSyntax.quote {
                do { v = try s.quotedString().content } catch { throw DigestParseError("parameter \(name): unterminated quoted string") }
            } else {
                let start = s.index
                while let b = s.peek, b != SIPSyntax.comma, !SIPSyntax.isWhitespace(b) { s.index += 1 }
                v = String(decoding: s.bytes[start..<s.index], as: UTF8.self)
            }
            params[name.lowercased()] = v
            s.skipWhitespace()
            guard s.atEnd || s.consume(SIPSyntax.comma) else { throw DigestParseError("expected ',' after parameter \(name)") }
        }
        return params
    }

    static func quoted(_ v: String) -> String {
        var out = "\""
        for c in v.unicodeScalars {
            if c == "\"" || c == "\\" { out += "\\" }
            out.unicodeScalars.append(c)
        }
        return out + "\""
    }
}
