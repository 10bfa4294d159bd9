/// A name-addr or addr-spec with header parameters: the value of From, To, Contact,
/// Route, Record-Route, Reply-To... (RFC 3261 §20.10, §20.20, §20.39, §25.1).
///
/// In the addr-spec form (no `<>`), everything after the first `;` is a header
/// parameter, not a URI parameter (RFC 3261 §20; RFC 4475 cparam01), and a URI with
/// `?headers` is an error (RFC 4475 regbadct). `description` always uses `<>`.
public struct SIPNameAddress: Hashable, Sendable, CustomStringConvertible {
    /// The display name, unquoted and unescaped.
    public var displayName: String?
    public var uri: SIPURI
    /// Header parameters (tag, expires, q, lr-less route params...), as written.
    public var parameters: [SIPParameter]

    public init(displayName: String? = nil, uri: SIPURI, parameters: [SIPParameter] = []) {
        self.displayName = displayName
        self.uri = uri
        self.parameters = parameters
    }

    public var tag: String? {
        get { parameters.first(named: "tag")?.value }
        set {
            parameters.removeAll { $0.name.lowercased() == "tag" }
            if let newValue { parameters.append(SIPParameter(name: "tag", value: newValue)) }
        }
    }

    public func parameter(_ name: String) -> SIPParameter? { parameters.first(named: name) }

    public init(parsing value: String) throws(SIPParseError) {
        try self.init(parsing: value, header: "name-addr")
    }

    /// Parses with error messages naming `header` ("From", "Contact"...).
    public init(parsing value: String, header: String) throws(SIPParseError) {
        var s = SIPValueScanner(value, header: header)
        s.skipWhitespace()
        var display: String?
        var angle = false
        if s.peek == SIPSyntax.quote {
            display = try s.quotedString().content
            s.skipWhitespace()
            guard s.peek == SIPSyntax.lt else { throw s.error("expected '<' after quoted display name") }
            angle = true
        } else {
            let start = s.index
            while let b = s.peek, SIPSyntax.isToken(b) || SIPSyntax.isWhitespace(b) { s.index += 1 }
            if s.peek == SIPSyntax.lt {
                let name = SIPSyntax.trimmed(s.bytes[start..<s.index])
                display = name.isEmpty ? nil : name
                angle = true
            } else {
                if s.bytes[s.index...].contains(SIPSyntax.lt), !s.bytes[start..<s.index].contains(SIPSyntax.colon) {
                    throw s.error("display name has characters that are not allowed unquoted (RFC 3261 §25.1)")
                }
                s.index = start
            }
        }
        if angle {
            s.index += 1  // '<'
            let start = s.index
            while let b = s.peek, b != SIPSyntax.gt { s.index += 1 }
            guard s.consume(SIPSyntax.gt) else { throw s.error("missing '>'") }
            do {
                uri = try SIPURI(bytes: s.bytes[start..<(s.index - 1)])
            } catch {
                throw s.error(error.reason)
            }
        } else {
            let start = s.index
            while let b = s.peek, !SIPSyntax.isWhitespace(b), b != SIPSyntax.semicolon, b != SIPSyntax.comma { s.index += 1 }
            guard s.index > start else { throw s.error("missing URI") }
            let uriBytes = s.bytes[start..<s.index]
            if uriBytes.contains(SIPSyntax.question) {
                throw s.error("a URI with headers must be enclosed in '<>' (RFC 3261 §20)")
            }
            do {
                uri = try SIPURI(bytes: uriBytes)
            } catch {
                throw s.error(error.reason)
            }
        }
        displayName = display
        parameters = try s.parameters()
        s.skipWhitespace()
        guard s.atEnd else { throw s.error("unexpected \"\(s.rest())\"") }
    }

    public var description: String {
        var s = ""
        if let displayName {
            s += "\""
            for ch in displayName.unicodeScalars {
                if ch == "\"" || ch == "\\" { s += "\\" }
                s.unicodeScalars.append(ch)
            }
            s += "\" "
        }
        s += "<\(uri)>"
        for p in parameters { s += ";" + p.description }
        return s
    }
}
