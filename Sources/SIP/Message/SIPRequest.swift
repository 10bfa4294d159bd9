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
