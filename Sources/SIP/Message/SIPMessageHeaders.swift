/// Typed views of the common headers, shared by `SIPRequest` and `SIPResponse`.
/// Each is nil (or empty) when the header is absent or malformed; the parser has
/// already rejected messages whose Via, From, To, CSeq, Contact, Route or
/// Record-Route are malformed.
public protocol SIPMessageHeaders {
    var headers: SIPHeaders { get }
}

extension SIPMessageHeaders {
    public var vias: [SIPVia] { headers.values(.via).compactMap { try? SIPVia(parsing: $0) } }
    public var topVia: SIPVia? { headers.firstValue(.via).flatMap { try? SIPVia(parsing: $0) } }
    public var from: SIPNameAddress? { headers[.from].flatMap { try? SIPNameAddress(parsing: $0, header: "From") } }
    public var to: SIPNameAddress? { headers[.to].flatMap { try? SIPNameAddress(parsing: $0, header: "To") } }
    public var callID: String? { headers[.callID].flatMap { $0.isEmpty ? nil : $0 } }
    public var cseq: SIPCSeq? { headers[.cseq].flatMap { try? SIPCSeq(parsing: $0) } }
    /// Contact values; a `*` wildcard (REGISTER removal) is not a name-addr and is left out.
    public var contacts: [SIPNameAddress] {
        headers.values(.contact).compactMap { $0 == "*" ? nil : try? SIPNameAddress(parsing: $0, header: "Contact") }
    }
    /// Whether Contact is the `*` wildcard (RFC 3261 §10.2.2).
    public var isWildcardContact: Bool { headers.values(.contact) == ["*"] }
    /// Max-Forwards 0...255; nil when absent or out of range (RFC 4475 scalar02: treat as absent).
    public var maxForwards: Int? {
        guard let v = headers[.maxForwards], let n = SIPMessageHeadersParsing.smallInteger(v), n <= 255 else { return nil }
        return n
    }
    public var routes: [SIPNameAddress] { headers.values(.route).compactMap { try? SIPNameAddress(parsing: $0, header: "Route") } }
    public var recordRoutes: [SIPNameAddress] { headers.values(.recordRoute).compactMap { try? SIPNameAddress(parsing: $0, header: "Record-Route") } }
    /// The media type, lowercased, without parameters (`application/sdp`).
    public var contentType: String? {
        guard let v = headers[.contentType] else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(v.utf8.count)
        for b in v.utf8 {
            if b == SIPSyntax.semicolon { break }
            if SIPSyntax.isWhitespace(b) { continue }
            out.append(b >= 65 && b <= 90 ? b | 0x20 : b)
        }
        return out.isEmpty ? nil : String(decoding: out, as: UTF8.self)
    }
    public var contentLength: Int? { headers[.contentLength].flatMap { SIPMessageHeadersParsing.smallInteger($0) } }
    /// Expires in seconds (RFC 3261 §20.19); nil when absent or not a number that fits in 32 bits.
    public var expires: Int? {
        guard let v = headers[.expires], let n = SIPMessageHeadersParsing.smallInteger(v), n <= Int(UInt32.max) else { return nil }
        return n
    }
    public var require: [String] { headers.values(.require) }
    public var proxyRequire: [String] { headers.values(.proxyRequire) }
    public var supported: [String] { headers.values(.supported) }
    public var unsupported: [String] { headers.values(.unsupported) }
    public var allow: [String] { headers.values(.allow) }
    public var accept: [String] { headers.values(.accept) }
}

enum SIPMessageHeadersParsing {
    /// A non-negative decimal of at most 18 digits, LWS (folding included) trimmed.
    static func smallInteger(_ value: String) -> Int? {
        var n = 0, digits = 0
        var seenEnd = false
        for b in value.utf8 {
            if SIPSyntax.isDigit(b) {
                if seenEnd { return nil }
                n = n * 10 + Int(b - 48)
                digits += 1
                if digits > 18 { return nil }
            } else if SIPSyntax.isWhitespace(b) || b == SIPSyntax.cr || b == SIPSyntax.lf {
                if digits > 0 { seenEnd = true }
            } else {
                return nil
            }
        }
        return digits > 0 ? n : nil
    }
}
