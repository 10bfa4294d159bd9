import XCTest
@testable import SIP

final class SIPStreamFramingTests: XCTestCase {
    func message(_ body: String, cseq: Int) -> [UInt8] {
        Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK\(cseq)\r\nTo: <sip:a@b>\r\nFrom: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: \(cseq) OPTIONS\r\nl: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    func testTwoMessagesInOneBufferWithKeepAlives() throws {
        let first = message("hello", cseq: 1), second = message("", cseq: 2)
        var buffer = Array("\r\n\r\n".utf8) + first + Array("\r\n".utf8) + second
        var parsed = [SIPRequest]()
        loop: while true {
            switch SIPStreamFraming.next(in: buffer) {
            case .message(let start, let length):
                guard case .request(let r) = try SIPMessageParser.parse(buffer, in: start..<(start + length), stream: true) else { return XCTFail() }
                parsed.append(r)
                buffer.removeFirst(start + length)
            case .keepAlive(let count):
                buffer.removeFirst(count)
            case .incomplete:
                break loop
            case .invalid(let reason):
                return XCTFail(reason)
            }
        }
        XCTAssertEqual(parsed.map { $0.cseq?.sequence }, [1, 2])
        XCTAssertEqual(parsed[0].body, Array("hello".utf8))
        XCTAssertTrue(buffer.isEmpty)
    }

    func testPartialMessagesAreIncomplete() {
        let whole = message("0123456789", cseq: 7)
        for cut in [1, 10, whole.count - 11, whole.count - 1] {
            XCTAssertEqual(SIPStreamFraming.next(in: Array(whole.prefix(cut))), .incomplete, "cut at \(cut)")
        }
        XCTAssertEqual(SIPStreamFraming.next(in: whole), .message(start: 0, length: whole.count))
        XCTAssertEqual(SIPStreamFraming.next(in: []), .incomplete)
        XCTAssertEqual(SIPStreamFraming.next(in: Array("\r\n\r\n".utf8)), .keepAlive(count: 4))
    }

    func testFoldedAndLongFormContentLength() {
        let text = "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP h;branch=z9hG4bK1\r\nContent-Length:\r\n  3\r\n\r\nabcEXTRA"
        XCTAssertEqual(SIPStreamFraming.next(in: Array(text.utf8)), .message(start: 0, length: text.utf8.count - 5))
    }

    func testUnframeableStreams() {
        let noLength = Array("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\n\r\n".utf8)
        guard case .invalid = SIPStreamFraming.next(in: noLength) else { return XCTFail() }
        let conflicting = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: 1\r\nl: 2\r\n\r\nab".utf8)
        guard case .invalid = SIPStreamFraming.next(in: conflicting) else { return XCTFail() }
        let negative = Array("OPTIONS sip:a@b SIP/2.0\r\nContent-Length: -1\r\n\r\n".utf8)
        guard case .invalid = SIPStreamFraming.next(in: negative) else { return XCTFail() }
        let endless = Array("OPTIONS sip:a@b SIP/2.0\r\n".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: SIPStreamFraming.maximumHeaderBytes + 10)
        guard case .invalid = SIPStreamFraming.next(in: endless) else { return XCTFail() }
    }
}
