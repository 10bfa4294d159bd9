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
        for via in request.headers.fieldValues(SIPResponse.viaKey) {
            headers.add("Via", via)
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
        // RFC 3261 §12.1.1: a response that creates a dialog (early or confirmed) carries
        // the request's Record-Route, in order, so the caller's in-dialog requests come
        // back through the proxies that asked (an edge in front of several nodes).
        if (101...299).contains(statusCode), request.method == .invite || request.method == .subscribe {
            for field in request.headers.fields where SIPResponse.recordRouteKey.matches(field.name) {
                headers.add("Record-Route", field.value)
            }
        }
        if statusCode == 100, let timestamp = request.headers["Timestamp"] { headers.add("Timestamp", timestamp) }
        self.init(statusCode: statusCode, reasonPhrase: reasonPhrase, headers: headers)
    }

    private static let viaKey = SIPHeaderKey("Via")
    private static let recordRouteKey = SIPHeaderKey("Record-Route")

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
