/// The wire form shared by requests and responses (RFC 3261 §7).
enum SIPSerialization {
    private static let contentLengthKey = SIPHeaderKey("Content-Length")

    /// CRLF, each header but Content-Length, Content-Length from the body, blank line, body.
    static func appendHeadersAndBody(_ headers: SIPHeaders, _ body: [UInt8], to out: inout [UInt8]) {
        out.append(SIPSyntax.cr); out.append(SIPSyntax.lf)
        headers.appendWire(to: &out, except: contentLengthKey)
        out.append(contentsOf: "Content-Length: ".utf8)
        out.append(contentsOf: String(body.count).utf8)
        out.append(contentsOf: [SIPSyntax.cr, SIPSyntax.lf, SIPSyntax.cr, SIPSyntax.lf])
        out.append(contentsOf: body)
    }
}
