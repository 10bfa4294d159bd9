/// One Via header value (RFC 3261 §20.42, §18.2.1; rport from RFC 3581).
///
/// `host` holds an IPv6 reference without brackets, as `SIPURI` does.
public struct SIPVia: Hashable, Sendable, CustomStringConvertible {
    /// The `rport` parameter (RFC 3581 §3–4): absent, requested (no value), or filled.
    public enum RPort: Hashable, Sendable {
        case absent
        case requested
        case value(Int)
    }

    /// Protocol name and version (`SIP`, `2.0`).
    public var protocolName: String
    public var protocolVersion: String
    /// Transport token, uppercased: UDP, TCP, TLS, SCTP, WS or unknown tokens.
    public var transport: String
    public var host: String
    public var port: Int?
    public var parameters: [SIPParameter]

    /// RFC 3261 §8.1.1.7: branches starting with this are globally unique transaction ids.
    public static let magicCookie = "z9hG4bK"

    public init(transport: String = "UDP", host: String, port: Int? = nil, branch: String? = nil, parameters: [SIPParameter] = []) {
        self.protocolName = "SIP"
        self.protocolVersion = "2.0"
        self.transport = SIPSyntax.asciiUppercased(transport)
        self.host = host
        self.port = port
        self.parameters = parameters
        if let branch { self.branch = branch }
    }

    public var branch: String? {
        get { parameters.first(named: "branch")?.value }
        set { setParameter("branch", newValue.map { Optional($0) }) }
    }

    public var received: String? {
        get { parameters.first(named: "received")?.value }
        set { setParameter("received", newValue.map { Optional($0) }) }
    }

    public var maddr: String? { parameters.first(named: "maddr")?.value }

    public var rport: RPort {
        get {
            guard let p = parameters.first(named: "rport") else { return .absent }
            guard let v = p.value else { return .requested }
            return Int(v).map { .value($0) } ?? .requested
        }
        set {
            switch newValue {
            case .absent: setParameter("rport", nil)
            case .requested: setParameter("rport", .some(nil))
            case .value(let port): setParameter("rport", .some(String(port)))
            }
        }
    }

    /// Whether the branch carries the RFC 3261 magic cookie (else RFC 2543 matching applies).
    public var hasRFC3261Branch: Bool { branch?.hasPrefix(Self.magicCookie) ?? false }

    /// nil removes the parameter; `.some(nil)` sets a value-less parameter.
    private mutating func setParameter(_ name: String, _ value: String??) {
        let index = parameters.firstIndex { $0.name.lowercased() == name }
        switch (value, index) {
        case (nil, let i?): parameters.remove(at: i)
        case (nil, nil): break
        case (let v??, let i?): parameters[i].value = v
        case (let v??, nil): parameters.append(SIPParameter(name: name, value: v))
        case (.some(nil), let i?): parameters[i].value = nil
        case (.some(nil), nil): parameters.append(SIPParameter(name: name, value: nil))
        }
    }

    public init(parsing value: String) throws(SIPParseError) {
        var s = SIPValueScanner(value, header: "Via")
        s.skipWhitespace()
        guard let name = s.token() else { throw s.error("missing protocol name") }
        s.skipWhitespace()
        guard s.consume(SIPSyntax.slash) else { throw s.error("expected '/' after protocol name") }
        s.skipWhitespace()
        guard let version = s.token() else { throw s.error("missing protocol version") }
        s.skipWhitespace()
        guard s.consume(SIPSyntax.slash) else { throw s.error("expected '/' after protocol version") }
        s.skipWhitespace()
        guard let transport = s.token() else { throw s.error("missing transport") }
        s.skipWhitespace()
        protocolName = name
        protocolVersion = version
        self.transport = SIPSyntax.asciiUppercased(transport)
        // sent-by = host [ COLON port ]
        if s.peek == SIPSyntax.lbracket {
            let start = s.index + 1
            while let b = s.peek, b != SIPSyntax.rbracket { s.index += 1 }
            guard s.consume(SIPSyntax.rbracket) else { throw s.error("unterminated IPv6 reference in sent-by") }
            let h = s.bytes[start..<(s.index - 1)]
            guard SIPSyntax.isValidHost(h) else { throw s.error("invalid IPv6 sent-by host") }
            host = String(decoding: h, as: UTF8.self)
        } else {
            let start = s.index
            while let b = s.peek, SIPSyntax.isAlphanumeric(b) || b == 45 || b == 46 { s.index += 1 }
            guard s.index > start else { throw s.error("missing sent-by host") }
            host = String(decoding: s.bytes[start..<s.index], as: UTF8.self)
        }
        s.skipWhitespace()
        port = nil
        if s.consume(SIPSyntax.colon) {
            s.skipWhitespace()
            let start = s.index
            while let b = s.peek, SIPSyntax.isDigit(b) { s.index += 1 }
            guard s.index > start, s.index - start <= 5, case let p = SIPSyntax.decimal(s.bytes[start..<s.index]), p <= 65535 else {
                throw s.error("invalid sent-by port")
            }
            port = p
        }
        parameters = try s.parameters()
        s.skipWhitespace()
        guard s.atEnd else { throw s.error("unexpected \"\(s.rest())\" (one Via value expected)") }
        if let b = parameters.first(named: "branch"), b.value == nil { throw s.error("branch parameter without a value") }
    }

    public var description: String {
        var s = "\(protocolName)/\(protocolVersion)/\(transport) "
        s += host.contains(":") ? "[\(host)]" : host
        if let port { s += ":\(port)" }
        for p in parameters { s += ";" + p.description }
        return s
    }
}
