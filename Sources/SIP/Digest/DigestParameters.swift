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
