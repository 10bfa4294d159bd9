/// A SIP request (RFC 3261 §7.1).
public struct SIPRequest: Sendable, Hashable, SIPMessageHeaders {
    public var method: SIPMethod
    public var uri: SIPURI
    /// `SIP/2.0`; the parser rejects other versions with 505.
    public var version: String
    public var headers: SIPHeaders
    public var body: [UInt8]

    public init(method: SIPMethod, uri: SIPURI, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.method = method
        self.uri = uri
        self.version = "SIP/2.0"
        self.headers = headers
        self.body = body
    }

    /// The wire form; Content-Length is set from `body`.
    public func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(512 + body.count)
        out.append(contentsOf: method.name.utf8)
        out.append(SIPSyntax.sp)
        out.append(contentsOf: uri.description.utf8)
        out.append(SIPSyntax.sp)
        out.append(contentsOf: version.utf8)
        SIPSerialization.appendHeadersAndBody(headers, body, to: &out)
        return out
    }
}

/// A SIP response (RFC 3261 §7.2).
public struct SIPResponse: Sendable, Hashable, SIPMessageHeaders {
    public var statusCode: Int
    public var reasonPhrase: String
    public var version: String
    public var headers: SIPHeaders
    public var body: [UInt8]

    public init(statusCode: Int, reasonPhrase: String? = nil, headers: SIPHeaders = SIPHeaders(), body: [UInt8] = []) {
        self.statusCode = statusCode
        self.reasonPhrase = reasonPhrase ?? SIPStatus.reasonPhrase(for: statusCode)
        self.version = "SIP/2.0"
        self.headers = headers
        self.body = body
    }

    /// RFC 3261 §8.2.6: copies Via(s), From, To (adding `toTag` if To has no tag),
    /// Call-ID and CSeq, in that order. A 100 Trying never gets a To tag (§8.2.6.1)
    /// and copies Timestamp.
    public init(replyingTo request: SIPRequest, statusCode: Int, reasonPhrase: String? = nil, toTag: String? = nil) {
        var headers = SIPHeaders()
        for field in request.headers.fields where SIPResponse.viaKey.matches(field.name) {
            headers.add("Via", field.value)
        }
        if let from = request.headers["From"] { headers.add("From", from) }
        if var to = request.headers["To"] {
            if let toTag, statusCode != 100,
               (try? SIPNameAddress(parsing: to, header: "To"))?.tag == nil {
                to += ";tag=\(toTag)"
            }
            headers.add("To", to)
        }
        if let callID = request.headers["Call-ID"] { headers.add("Call-ID", callID) }
        if let cseq = request.headers["CSeq"] { headers.add("CSeq", cseq) }
        if statusCode == 100, let timestamp = request.headers["Timestamp"] { headers.add("Timestamp", timestamp) }
        self.init(statusCode: statusCode, reasonPhrase: reasonPhrase, headers: headers)
    }

    private static let viaKey = SIPHeaderKey("Via")

    /// The wire form; Content-Length is set from `body`.
    public func serialized() -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(512 + body.count)
        out.append(contentsOf: version.utf8)
        out.append(SIPSyntax.sp)
        out.append(contentsOf: String(statusCode).utf8)
        out.append(SIPSyntax.sp)
        out.append(contentsOf: reasonPhrase.utf8)
        SIPSerialization.appendHeadersAndBody(headers, body, to: &out)
        return out
    }
}

/// A request or a response.
public enum SIPMessage: Sendable, Hashable {
    case request(SIPRequest)
    case response(SIPResponse)

    public var headers: SIPHeaders {
        switch self {
        case .request(let r): r.headers
        case .response(let r): r.headers
        }
    }

    public func serialized() -> [UInt8] {
        switch self {
        case .request(let r): r.serialized()
        case .response(let r): r.serialized()
        }
    }
}

enum SIPSerialization {
    private static let contentLengthKey = SIPHeaderKey("Content-Length")

    /// CRLF, each header but Content-Length, Content-Length from the body, blank line, body.
    static func appendHeadersAndBody(_ headers: SIPHeaders, _ body: [UInt8], to out: inout [UInt8]) {
        out.append(SIPSyntax.cr); out.append(SIPSyntax.lf)
        for field in headers.fields where !contentLengthKey.matches(field.name) {
            out.append(contentsOf: field.name.utf8)
            out.append(SIPSyntax.colon); out.append(SIPSyntax.sp)
            out.append(contentsOf: field.value.utf8)
            out.append(SIPSyntax.cr); out.append(SIPSyntax.lf)
        }
        out.append(contentsOf: "Content-Length: ".utf8)
        out.append(contentsOf: String(body.count).utf8)
        out.append(contentsOf: [SIPSyntax.cr, SIPSyntax.lf, SIPSyntax.cr, SIPSyntax.lf])
        out.append(contentsOf: body)
    }
}
