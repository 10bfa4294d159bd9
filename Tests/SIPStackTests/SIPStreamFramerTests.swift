import NIOCore
import SIP
@testable import SIPStack
import XCTest

/// `SIPStreamFramer` fed the way TCP delivers: in pieces of any size, several messages per
/// read, keep-alives between them; and what it refuses (RFC 3261 §18.3).
final class SIPStreamFramerTests: XCTestCase {
    static func message(cseq: Int, body: String = "", lengthHeader: String = "Content-Length") -> [UInt8] {
        Array(("OPTIONS sip:100@192.0.2.1 SIP/2.0\r\n"
            + "Via: SIP/2.0/TCP 192.0.2.10:5070;branch=z9hG4bK-\(cseq)\r\n"
            + "From: <sip:alice@192.0.2.10>;tag=a\r\nTo: <sip:100@192.0.2.1>\r\n"
            + "Call-ID: framer-\(cseq)\r\nCSeq: \(cseq) OPTIONS\r\n"
            + "\(lengthHeader): \(body.utf8.count)\r\n\r\n\(body)").utf8)
    }

    /// A stream reader as the decoder is one: appends each read to one buffer, takes
    /// frames until more data is needed, consumes what they say.
    struct Reader {
        var framer: SIPStreamFramer
        var buffer = ByteBuffer()
        var messages: [[UInt8]] = []
        var keepAliveBytes = 0
        var refusal: SIPStreamFramer.Refusal?

        init(limits: SIPStreamFramer.Limits = .default) {
            framer = SIPStreamFramer(limits: limits)
        }

        mutating func read(_ bytes: some Sequence<UInt8>) {
            buffer.writeBytes(Array(bytes))
            while refusal == nil {
                switch framer.next(in: buffer) {
                case .needMoreData:
                    return
                case .keepAlive(let count):
                    keepAliveBytes += count
                    buffer.moveReaderIndex(forwardBy: count)
                case .message(let length):
                    messages.append(buffer.readBytes(length: length)!)
                case .refused(let refusal):
                    self.refusal = refusal
                }
            }
        }
    }

    func testByteByByteFeedingFramesEachMessageOnceAndExaminesEachByteOnce() throws {
        let first = Self.message(cseq: 1, body: "hello"), second = Self.message(cseq: 2)
        let stream = Array("\r\n\r\n".utf8) + first + Array("\r\n".utf8) + second
        var reader = Reader()
        for byte in stream { reader.read([byte]) }
        XCTAssertEqual(reader.messages, [first, second])
        XCTAssertEqual(reader.keepAliveBytes, 6)
        XCTAssertEqual(reader.buffer.readableBytes, 0)
        XCTAssertNil(reader.refusal)
        // Bodies are waited for, not examined; every header byte and keep-alive is looked at once.
        let headerBytes = first.count - 5 + second.count
        XCTAssertEqual(reader.framer.bytesExamined, headerBytes + 6, "no byte is examined twice")
    }

    func testManyMessagesInOneRead() throws {
        let messages = (1...50).map { Self.message(cseq: $0, body: $0 % 2 == 0 ? "" : String(repeating: "x", count: $0)) }
        var reader = Reader()
        reader.read(messages.flatMap { $0 + Array("\r\n".utf8) })
        XCTAssertEqual(reader.messages, messages)
        XCTAssertEqual(reader.keepAliveBytes, 100)
        let parsed = try reader.messages.map { try SIPMessageParser.parse($0, in: 0..<$0.count, stream: true) }
        XCTAssertEqual(parsed.count, 50)
    }

    func testAMessageSplitAtEveryOffsetComesOutWhole() throws {
        let message = Self.message(cseq: 7, body: "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\n")
        let next = Self.message(cseq: 8)
        for cut in 0...message.count {
            var reader = Reader()
            reader.read(message[..<cut])
            XCTAssertEqual(reader.messages.count, cut == message.count ? 1 : 0, "cut at \(cut)")
            reader.read(message[cut...] + next)
            XCTAssertEqual(reader.messages, [message, next], "cut at \(cut)")
            XCTAssertNil(reader.refusal, "cut at \(cut)")
        }
    }

    func testCRLFKeepAlivesAloneAreConsumedAndNeverAMessage() {
        var reader = Reader()
        for _ in 0..<100 { reader.read(Array("\r\n\r\n".utf8)) }
        reader.read(Array("\n".utf8))
        XCTAssertEqual(reader.keepAliveBytes, 401)
        XCTAssertTrue(reader.messages.isEmpty)
        XCTAssertEqual(reader.buffer.readableBytes, 0)
    }

    func testCompactAndFoldedContentLength() {
        let compact = Self.message(cseq: 3, body: "abc", lengthHeader: "l")
        var reader = Reader()
        reader.read(compact + Self.message(cseq: 4))
        XCTAssertEqual(reader.messages.count, 2)
        XCTAssertEqual(reader.messages.first, compact)

        let folded = Array("SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length:\r\n  3\r\n\r\nabcREST".utf8)
        var foldedReader = Reader()
        foldedReader.read(folded)
        XCTAssertEqual(foldedReader.messages, [Array(folded.dropLast(4))])
    }

    func testMissingContentLengthIsRefused400WithTheHeaderSection() {
        let text = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\n\r\n".utf8)
        var reader = Reader()
        reader.read(text + Self.message(cseq: 2))
        XCTAssertEqual(reader.refusal?.status, 400)
        XCTAssertEqual(reader.refusal?.headerLength, text.count, "the header section is whole: a response is possible")
        XCTAssertTrue(reader.messages.isEmpty, "nothing after an unframeable message is read")
    }

    func testGarbledOrConflictingContentLengthIsRefused400() {
        for value in ["abc", "-1", "12 34", "1e3", "", "9999999999999999999999"] {
            var reader = Reader()
            reader.read(Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: \(value)\r\n\r\n".utf8))
            XCTAssertEqual(reader.refusal?.status, 400, "Content-Length '\(value)'")
            XCTAssertTrue(reader.refusal?.reason.contains("Content-Length") ?? false, "\(String(describing: reader.refusal))")
        }
        var conflicting = Reader()
        conflicting.read(Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab".utf8))
        XCTAssertEqual(conflicting.refusal?.status, 400)
    }

    func testEndlessHeaderIsRefused513OnceOverTheLimitWithoutWaitingForMore() {
        let limits = SIPStreamFramer.Limits(maximumHeaderBytes: 1024, maximumMessageBytes: 4096)
        var reader = Reader(limits: limits)
        reader.read(Array("OPTIONS sip:a@b SIP/2.0\r\n".utf8))
        for _ in 0..<100 where reader.refusal == nil { reader.read(Array("X-Filler: 0123456789012345678901234567890123456789\r\n".utf8)) }
        XCTAssertEqual(reader.refusal?.status, 513)
        XCTAssertNil(reader.refusal?.headerLength, "no end of header: no response possible")
        XCTAssertLessThanOrEqual(reader.framer.bytesExamined, limits.maximumHeaderBytes + 1)
    }

    func testOversizeMessageIsRefused513AsSoonAsItsHeaderEnds() {
        let limits = SIPStreamFramer.Limits(maximumHeaderBytes: 1024, maximumMessageBytes: 2048)
        let header = Array("INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length: 100000\r\n\r\n".utf8)
        var reader = Reader(limits: limits)
        reader.read(header)
        XCTAssertEqual(reader.refusal?.status, 513)
        XCTAssertEqual(reader.refusal?.headerLength, header.count)
        // Exactly at the limit is fine.
        let body = String(repeating: "b", count: 2048 - Self.message(cseq: 1, body: "").count - 3)  // "0" becomes 4 digits
        var fits = Reader(limits: limits)
        fits.read(Self.message(cseq: 1, body: body))
        XCTAssertNil(fits.refusal)
        XCTAssertEqual(fits.messages.count, 1)
        XCTAssertEqual(fits.messages.first?.count, 2048)
    }
}
