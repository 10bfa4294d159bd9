/// Finds message boundaries in a stream (TCP/TLS), RFC 3261 §18.3: skip CRLF
/// keep-alives (RFC 5626 §4.4.1 sends CRLFCRLF), find the end of the header section,
/// then take Content-Length octets of body. A streamed message without
/// Content-Length cannot be framed and is invalid.
public enum SIPStreamFraming: Sendable, Hashable {
    /// More bytes are needed.
    case incomplete
    /// A whole message is at `bytes[start..<start+length]`; drop everything before
    /// `start + length` afterwards (keep-alive CRLFs before `start` included).
    case message(start: Int, length: Int)
    /// Keep-alive CRLFs only, `count` bytes of them; drop them (answer a CRLFCRLF
    /// ping with CRLF if you implement RFC 5626).
    case keepAlive(count: Int)
    /// The stream cannot be framed; close the connection.
    case invalid(reason: String)

    /// Header sections larger than this are refused (a peer sending endless headers).
    public static let maximumHeaderBytes = 64 * 1024
    /// Bodies larger than this are refused.
    public static let maximumBodyBytes = 1024 * 1024

    private static let contentLengthKey = SIPHeaderKey("Content-Length")

    public static func next(in bytes: [UInt8]) -> SIPStreamFraming {
        next(in: bytes, from: 0)
    }

    public static func next(in bytes: [UInt8], from offset: Int) -> SIPStreamFraming {
        var start = offset
        while start < bytes.count, bytes[start] == SIPSyntax.cr || bytes[start] == SIPSyntax.lf { start += 1 }
        if start == bytes.count {
            return start > offset ? .keepAlive(count: start - offset) : .incomplete
        }
        // Find CRLFCRLF (or LFLF), tracking Content-Length along the way.
        var i = start
        var lineStart = start
        var contentLength: Int?
        var contentLengthLine: Range<Int>?
        var headerEnd: Int?
        while i < bytes.count {
            if bytes[i] == SIPSyntax.lf {
                var lineEnd = i
                if lineEnd > lineStart, bytes[lineEnd - 1] == SIPSyntax.cr { lineEnd -= 1 }
                if lineEnd == lineStart {
                    headerEnd = i + 1
                    break
                }
                if lineStart != start {
                    if SIPSyntax.isWhitespace(bytes[lineStart]) {
                        // Continuation: extend a Content-Length value onto this line.
                        if let r = contentLengthLine { contentLengthLine = r.lowerBound..<lineEnd }
                    } else {
                        if let r = contentLengthLine {
                            guard let n = value(bytes, r) else { return .invalid(reason: "invalid Content-Length") }
                            if contentLength != nil, contentLength != n { return .invalid(reason: "conflicting Content-Length headers") }
                            contentLength = n
                            contentLengthLine = nil
                        }
                        if let colon = bytes[lineStart..<lineEnd].firstIndex(of: SIPSyntax.colon) {
                            var nameEnd = colon
                            while nameEnd > lineStart, SIPSyntax.isWhitespace(bytes[nameEnd - 1]) { nameEnd -= 1 }
                            let name = bytes[lineStart..<nameEnd]
                            let isCL = name.count == 1 ? (name.first! | 0x20) == UInt8(ascii: "l") : name.elementsEqualIgnoringASCIICase("content-length".utf8)
                            if isCL { contentLengthLine = (colon + 1)..<lineEnd }
                        }
                    }
                }
                lineStart = i + 1
            }
            i += 1
            if i - start > maximumHeaderBytes { return .invalid(reason: "header section exceeds \(maximumHeaderBytes) bytes") }
        }
        guard let headerEnd else { return .incomplete }
        if let r = contentLengthLine {
            guard let n = value(bytes, r) else { return .invalid(reason: "invalid Content-Length") }
            if contentLength != nil, contentLength != n { return .invalid(reason: "conflicting Content-Length headers") }
            contentLength = n
        }
        guard let contentLength else { return .invalid(reason: "message without Content-Length on a stream transport (RFC 3261 §18.3)") }
        guard contentLength <= maximumBodyBytes else { return .invalid(reason: "Content-Length \(contentLength) exceeds \(maximumBodyBytes)") }
        let total = headerEnd - start + contentLength
        guard bytes.count - start >= total else { return .incomplete }
        return .message(start: start, length: total)
    }

    private static func value(_ bytes: [UInt8], _ r: Range<Int>) -> Int? {
        SIPMessageHeadersParsing.smallInteger(String(decoding: bytes[r], as: UTF8.self))
    }
}
