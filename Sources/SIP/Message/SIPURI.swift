/// A SIP or SIPS URI (RFC 3261 §19.1), or any other absolute URI (tel:, im:, http:...)
/// kept opaque.
///
/// - `user`, `password`, parameter names/values and header names/values are stored
///   percent-unescaped; `description` escapes what RFC 3261 §25.1 does not allow.
/// - `host` holds an IPv6 reference WITHOUT brackets (`::1`); `description` adds them.
/// - For a scheme other than sip/sips, `host` is empty and `opaque` holds everything
///   after `scheme:`.
/// - Equality is structural (not the §19.1.4 comparison rules).
public struct SIPURI: Hashable, Sendable, CustomStringConvertible {
    public var scheme: String
    public var user: String?
    public var password: String?
    public var host: String
    public var port: Int?
    public var parameters: [SIPParameter]
    public var headers: [SIPParameter]
    /// The scheme-specific part of a non-SIP URI (`+1-201-555-0123` of a tel: URI).
    public var opaque: String?

    public init(scheme: String = "sip", user: String? = nil, host: String, port: Int? = nil, parameters: [SIPParameter] = []) {
        self.scheme = scheme.lowercased()
        self.user = user
        self.password = nil
        self.host = host
        self.port = port
        self.parameters = parameters
        self.headers = []
        self.opaque = nil
    }

    /// Whether the scheme is `sip` or `sips`.
    public var isSIP: Bool { scheme == "sip" || scheme == "sips" }

    public func parameter(_ name: String) -> SIPParameter? { parameters.first(named: name) }

    /// The value of a URI header (`?Route=...`), unescaped.
    public func header(_ name: String) -> String? { headers.first(named: name)?.value }

    public init(parsing string: String) throws(SIPParseError) {
        try self.init(bytes: Array(string.utf8)[...])
    }

    init(bytes: ArraySlice<UInt8>) throws(SIPParseError) {
        func fail(_ reason: String) -> SIPParseError {
            SIPParseError(reason: "URI \"\(String(decoding: bytes, as: UTF8.self))\": \(reason)")
        }
        guard let colonIndex = bytes.firstIndex(of: SIPSyntax.colon) else { throw fail("missing scheme") }
        let schemeBytes = bytes[bytes.startIndex..<colonIndex]
        // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
        guard let first = schemeBytes.first, SIPSyntax.isAlpha(first),
              schemeBytes.allSatisfy({ SIPSyntax.isAlphanumeric($0) || $0 == 43 || $0 == 45 || $0 == 46 })
        else { throw fail("invalid scheme") }
        if let bad = bytes.first(where: { $0 <= 32 || $0 == 127 || $0 == SIPSyntax.lt || $0 == SIPSyntax.gt || $0 == SIPSyntax.quote }) {
            throw fail(bad <= 32 ? "contains whitespace or control characters" : "contains '\(Character(Unicode.Scalar(bad)))'")
        }
        let scheme = String(decoding: schemeBytes, as: UTF8.self).lowercased()
        self.scheme = scheme
        self.user = nil
        self.password = nil
        self.port = nil
        self.parameters = []
        self.headers = []
        self.opaque = nil
        let rest = bytes[(colonIndex + 1)...]
        guard scheme == "sip" || scheme == "sips" else {
            guard !rest.isEmpty else { throw fail("empty scheme-specific part") }
            self.host = ""
            self.opaque = String(decoding: rest, as: UTF8.self)
            return
        }
        var hostStart = rest.startIndex
        if let atIndex = rest.firstIndex(of: SIPSyntax.at) {
            let userinfo = rest[rest.startIndex..<atIndex]
            let userPart: ArraySlice<UInt8>
            if let pc = userinfo.firstIndex(of: SIPSyntax.colon) {
                userPart = userinfo[userinfo.startIndex..<pc]
                let passwordPart = userinfo[(pc + 1)...]
                self.password = SIPSyntax.unescape(passwordPart)
            } else {
                userPart = userinfo
            }
            guard !userPart.isEmpty else { throw fail("empty user part before '@'") }
            self.user = SIPSyntax.unescape(userPart)
            hostStart = atIndex + 1
        }
        var i = hostStart
        let end = rest.endIndex
        if i < end, rest[i] == SIPSyntax.lbracket {
            guard let close = rest[i...].firstIndex(of: SIPSyntax.rbracket) else { throw fail("unterminated IPv6 reference") }
            let v6 = rest[(i + 1)..<close]
            guard v6.contains(SIPSyntax.colon), SIPSyntax.isValidHost(v6) else { throw fail("invalid IPv6 reference") }
            self.host = String(decoding: v6, as: UTF8.self)
            i = close + 1
        } else {
            let start = i
            while i < end, rest[i] != SIPSyntax.colon, rest[i] != SIPSyntax.semicolon, rest[i] != SIPSyntax.question { i += 1 }
            let h = rest[start..<i]
            guard !h.isEmpty else { throw fail("missing host") }
            guard SIPSyntax.isValidHost(h) else { throw fail("invalid host \"\(String(decoding: h, as: UTF8.self))\"") }
            self.host = String(decoding: h, as: UTF8.self)
        }
        if i < end, rest[i] == SIPSyntax.colon {
            i += 1
            let start = i
            while i < end, SIPSyntax.isDigit(rest[i]) { i += 1 }
            guard i > start, i - start <= 5, case let p = SIPSyntax.decimal(rest[start..<i]), p <= 65535 else {
                throw fail("invalid port")
            }
            self.port = p
        }
        while i < end, rest[i] == SIPSyntax.semicolon {
            i += 1
            let start = i
            while i < end, rest[i] != SIPSyntax.semicolon, rest[i] != SIPSyntax.question { i += 1 }
            let param = rest[start..<i]
            guard !param.isEmpty else { throw fail("empty URI parameter") }
            if let eq = param.firstIndex(of: SIPSyntax.equals) {
                let name = param[param.startIndex..<eq]
                guard !name.isEmpty else { throw fail("URI parameter without a name") }
                parameters.append(SIPParameter(name: SIPSyntax.unescape(name), value: SIPSyntax.unescape(param[(eq + 1)...])))
            } else {
                parameters.append(SIPParameter(name: SIPSyntax.unescape(param), value: nil))
            }
        }
        if i < end, rest[i] == SIPSyntax.question {
            i += 1
            for header in rest[i...].split(separator: SIPSyntax.amp, omittingEmptySubsequences: false) {
                guard let eq = header.firstIndex(of: SIPSyntax.equals), eq > header.startIndex else {
                    throw fail("URI header without name=value")
                }
                headers.append(SIPParameter(name: SIPSyntax.unescape(header[header.startIndex..<eq]), value: SIPSyntax.unescape(header[(eq + 1)...])))
            }
            i = end
        }
        guard i == end else { throw fail("unexpected characters after host") }
    }

    public var description: String {
        guard isSIP else { return "\(scheme):\(opaque ?? host)" }
        var s = scheme
        s += ":"
        if let user {
            s += SIPSyntax.escape(user, allowed: SIPSyntax.userChars)
            if let password { s += ":" + SIPSyntax.escape(password, allowed: SIPSyntax.passwordChars) }
            s += "@"
        }
        s += host.contains(":") ? "[\(host)]" : host
        if let port { s += ":\(port)" }
        for p in parameters {
            s += ";" + SIPSyntax.escape(p.name, allowed: SIPSyntax.paramChars)
            if let v = p.value { s += "=" + SIPSyntax.escape(v, allowed: SIPSyntax.paramChars) }
        }
        for (n, h) in headers.enumerated() {
            s += n == 0 ? "?" : "&"
            s += SIPSyntax.escape(h.name, allowed: SIPSyntax.headerChars) + "=" + SIPSyntax.escape(h.value ?? "", allowed: SIPSyntax.headerChars)
        }
        return s
    }
}
