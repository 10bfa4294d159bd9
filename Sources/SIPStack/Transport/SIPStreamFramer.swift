import NIOCore

/// Incremental TCP framing (RFC 3261 §18.3) as a value: the bytes a connection received
/// so far in, the next frame out. It never looks at a byte twice: while a header section
/// is incomplete it remembers where its search for the blank line stopped and what it
/// read of Content-Length on the way; once the header ended it only waits for the
/// body's length. Nothing is copied until a message is whole.
///
/// Offsets are relative to the buffer's reader index, which the caller moves only by what
/// a frame told it to consume (a keep-alive, a message) — so the bytes it keeps between
/// calls are the ones already examined, and what a new read appended is examined once.
public struct SIPStreamFramer: Sendable {
    /// What one connection may send before it is refused.
    public struct Limits: Sendable, Hashable {
        /// The header section (start line to blank line); a peer sending endless headers
        /// is refused after this many bytes.
        public var maximumHeaderBytes: Int
        /// Header section and body together.
        public var maximumMessageBytes: Int

        /// 32 KiB of header, 64 KiB in all: any message the UDP side accepts
        /// (a datagram is at most 65,535 bytes, §18.1.1) also fits a connection.
        public static let `default` = Limits(maximumHeaderBytes: 32 * 1024, maximumMessageBytes: 64 * 1024)

        public init(maximumHeaderBytes: Int, maximumMessageBytes: Int) {
            self.maximumHeaderBytes = maximumHeaderBytes
            self.maximumMessageBytes = max(maximumMessageBytes, maximumHeaderBytes)
        }
    }

    /// Why a stream cannot go on: answer `status` when the header section is whole
    /// (`headerLength` bytes from the reader index, enough to build a response), then close.
    public struct Refusal: Error, Sendable, Hashable, CustomStringConvertible {
        /// 400 (no or garbled Content-Length, §18.3) or 513 (Message Too Large, §21.5.14).
        public var status: Int
        public var reason: String
        /// The complete header section's length, nil when it never ended.
        public var headerLength: Int?

        public var description: String { "\(status) \(reason)" }
    }

    public enum Frame: Sendable, Hashable {
        /// More bytes are needed; nothing to consume.
        case needMoreData
        /// `count` keep-alive CR/LF bytes (RFC 5626 §3.5.1) before a message: consume them.
        case keepAlive(count: Int)
        /// A whole message of `length` bytes at the reader index: consume it.
        case message(length: Int)
        /// The stream cannot be framed any further.
        case refused(Refusal)
    }

    public let limits: Limits
    /// Bytes from the reader index already examined in the search for the header's end.
    private var scanned = 0
    /// Where the line being read starts.
    private var lineStart = 0
    /// Content-Length's value once a header line gave it.
    private var contentLength: Int?
    /// The value of a Content-Length line still being read (it may be folded onto the
    /// next lines, §7.3.1), from after the colon to the current line's end.
    private var contentLengthValue: [UInt8]?
    /// Set once the header section ended: the message's total length.
    private var messageLength: Int?
    /// Bytes looked at since this framer was made (all messages): what tests check to see
    /// that nothing is examined twice.
    public private(set) var bytesExamined = 0

    public init(limits: Limits = .default) {
        self.limits = limits
    }

    /// The next frame in the readable bytes of `buffer`. Call again after consuming a
    /// keep-alive or a message: several may be waiting in one read.
    public mutating func next(in buffer: ByteBuffer) -> Frame {
        let available = buffer.readableBytes
        if let messageLength {
            guard available >= messageLength else { return .needMoreData }
            reset()
            return .message(length: messageLength)
        }
        return buffer.withUnsafeReadableBytes { bytes -> Frame in
            if scanned == 0 {
                // Before a message: CRLF keep-alives, consumed as they come.
                var skipped = 0
                while skipped < bytes.count, bytes[skipped] == Byte.cr || bytes[skipped] == Byte.lf { skipped += 1 }
                if skipped > 0 {
                    bytesExamined += skipped
                    return .keepAlive(count: skipped)
                }
            }
            return scanHeader(bytes, available: available)
        }
    }

    private mutating func scanHeader(_ bytes: UnsafeRawBufferPointer, available: Int) -> Frame {
        let searchEnd = min(bytes.count, limits.maximumHeaderBytes + 1)
        let resumed = scanned
        var i = scanned
        while i < searchEnd {
            guard let lf = Self.index(of: Byte.lf, in: bytes, from: i, to: searchEnd) else {
                i = searchEnd
                break
            }
            var lineEnd = lf
            if lineEnd > lineStart, bytes[lineEnd - 1] == Byte.cr { lineEnd -= 1 }
            i = lf + 1
            if lineEnd == lineStart {
                // The blank line: the header section is whole.
                bytesExamined += i - resumed
                scanned = i
                return headerEnded(headerLength: i, available: available)
            }
            if let refusal = readLine(bytes, lineStart..<lineEnd) {
                bytesExamined += i - resumed
                return .refused(Refusal(status: 400, reason: refusal, headerLength: nil))
            }
            lineStart = i
        }
        bytesExamined += i - resumed
        scanned = i
        if scanned > limits.maximumHeaderBytes {
            return .refused(Refusal(status: 513, reason: "header section exceeds \(limits.maximumHeaderBytes) bytes",
                                    headerLength: nil))
        }
        return .needMoreData
    }

    /// One header line (the start line too: it names no header, and were it to look like
    /// one, the parser refuses the message anyway). Returns a reason to refuse, or nil.
    private mutating func readLine(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> String? {
        guard line.lowerBound > 0 else { return nil }
        if Byte.isWhitespace(bytes[line.lowerBound]) {
            // A continuation: a folded Content-Length value goes on here.
            contentLengthValue?.append(Byte.sp)
            contentLengthValue?.append(contentsOf: bytes[line])
            return nil
        }
        if let refusal = finishContentLength() { return refusal }
        guard let colon = Self.index(of: Byte.colon, in: bytes, from: line.lowerBound, to: line.upperBound) else { return nil }
        var nameEnd = colon
        while nameEnd > line.lowerBound, Byte.isWhitespace(bytes[nameEnd - 1]) { nameEnd -= 1 }
        let name = bytes[line.lowerBound..<nameEnd]
        let isContentLength = name.count == 1
            ? (name.first! | 0x20) == UInt8(ascii: "l")
            : name.count == 14 && zip(name, "content-length".utf8).allSatisfy { Byte.lowercased($0) == $1 }
        if isContentLength { contentLengthValue = Array(bytes[(colon + 1)..<line.upperBound]) }
        return nil
    }

    /// A Content-Length line is complete: its value must be a number, and agree with an
    /// earlier one.
    private mutating func finishContentLength() -> String? {
        guard let value = contentLengthValue else { return nil }
        contentLengthValue = nil
        guard let n = Self.smallInteger(value) else {
            return "Content-Length \"\(String(decoding: value.prefix(40), as: UTF8.self).trimmingSpaces)\" is not a non-negative integer"
        }
        if let contentLength, contentLength != n { return "conflicting Content-Length headers" }
        contentLength = n
        return nil
    }

    private mutating func headerEnded(headerLength: Int, available: Int) -> Frame {
        if let refusal = finishContentLength() {
            return .refused(Refusal(status: 400, reason: refusal, headerLength: headerLength))
        }
        guard let contentLength else {
            return .refused(Refusal(status: 400, reason: "Content-Length is required on stream transports (RFC 3261 §18.3)",
                                    headerLength: headerLength))
        }
        let total = headerLength + contentLength
        guard total <= limits.maximumMessageBytes else {
            return .refused(Refusal(status: 513, reason: "message of \(total) bytes exceeds \(limits.maximumMessageBytes)",
                                    headerLength: headerLength))
        }
        guard available >= total else {
            messageLength = total
            return .needMoreData
        }
        reset()
        return .message(length: total)
    }

    /// Ready for the next message (`bytesExamined` goes on counting).
    private mutating func reset() {
        scanned = 0
        lineStart = 0
        contentLength = nil
        contentLengthValue = nil
        messageLength = nil
    }

    private static func index(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from: Int, to: Int) -> Int? {
        var i = from
        while i < to {
            if bytes[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// A non-negative decimal of at most 18 digits, surrounded by linear white space.
    static func smallInteger(_ value: [UInt8]) -> Int? {
        var n = 0, digits = 0, ended = false
        for byte in value {
            if Byte.isDigit(byte) {
                if ended { return nil }
                digits += 1
                // 18 digits always fit an Int; a 19th could overflow it.
                if digits > 18 { return nil }
                n = n * 10 + Int(byte - 48)
            } else if Byte.isWhitespace(byte) || byte == Byte.cr || byte == Byte.lf {
                if digits > 0 { ended = true }
            } else {
                return nil
            }
        }
        return digits > 0 ? n : nil
    }
}

/// The octets framing looks at.
private enum Byte {
    static let cr: UInt8 = 13, lf: UInt8 = 10, sp: UInt8 = 32, tab: UInt8 = 9, colon: UInt8 = 58
    static func isWhitespace(_ b: UInt8) -> Bool { b == sp || b == tab }
    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func lowercased(_ b: UInt8) -> UInt8 { b >= 65 && b <= 90 ? b | 0x20 : b }
}

private extension String {
    var trimmingSpaces: String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}
