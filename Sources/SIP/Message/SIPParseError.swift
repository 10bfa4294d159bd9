/// Why a SIP message (or one of its header values) could not be read.
///
/// A parse error carries what a server needs to answer a broken request without
/// reading it again: the status to send (RFC 3261 §8.2: 400 for malformed requests,
/// 505 for an unsupported SIP version) and, when the start line was a request, a
/// leniently salvaged request holding just the headers a response copies (§8.2.6).
public struct SIPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line of the message where the problem is, 0 when it concerns the whole
    /// message or a header value parsed on its own.
    public var line: Int
    /// What was wrong, naming the header or element, e.g. "Via: missing sent-by host".
    public var reason: String
    /// What a UAS should answer if this was a request (400 usually, 505 bad version).
    public var status: Int
    /// When the start line was a request (other than ACK, which is never answered) and
    /// Via/From/To/Call-ID/CSeq could be read leniently: a request with just those
    /// headers (raw values), so a transport can answer `status`. Its URI is the
    /// request-URI when that parsed, else the placeholder `sip:invalid`.
    public var salvage: SIPRequest?

    public init(line: Int = 0, reason: String, status: Int = 400, salvage: SIPRequest? = nil) {
        self.line = line
        self.reason = reason
        self.status = status
        self.salvage = salvage
    }

    public var description: String {
        line > 0 ? "line \(line): \(reason) (\(status))" : "\(reason) (\(status))"
    }
}
