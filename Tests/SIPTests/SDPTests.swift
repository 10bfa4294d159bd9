import XCTest
@testable import SIP

final class SDPTests: XCTestCase {
    static let sippOffer = """
    v=0\r
    o=user1 53655765 2353687637 IN IP4 127.0.1.1\r
    s=-\r
    c=IN IP4 127.0.1.1\r
    t=0 0\r
    m=audio 6000 RTP/AVP 8 0 96\r
    a=rtpmap:8 PCMA/8000\r
    a=rtpmap:0 PCMU/8000\r
    a=rtpmap:96 telephone-event/8000\r
    a=fmtp:96 0-15\r
    a=ptime:30\r
    a=sendonly\r
    m=video 0 RTP/AVP 31\r

    """

    func testParseAndSerialiseRoundTrip() throws {
        let sdp = try SessionDescription(parsing: Self.sippOffer)
        XCTAssertEqual(sdp.origin.username, "user1")
        XCTAssertEqual(sdp.origin.sessionID, 53655765)
        XCTAssertEqual(sdp.origin.sessionVersion, 2353687637)
        XCTAssertEqual(sdp.origin.address, "127.0.1.1")
        XCTAssertEqual(sdp.sessionName, "-")
        XCTAssertEqual(sdp.connection?.host, "127.0.1.1")
        XCTAssertEqual(sdp.timings, [SDPTiming(start: 0, stop: 0)])
        XCTAssertEqual(sdp.media.count, 2)
        let audio = sdp.media[0]
        XCTAssertEqual(audio.media, "audio")
        XCTAssertEqual(audio.port, 6000)
        XCTAssertEqual(audio.proto, "RTP/AVP")
        XCTAssertEqual(audio.formats, ["8", "0", "96"])
        XCTAssertEqual(audio.rtpmaps.count, 3)
        XCTAssertEqual(audio.rtpmap(for: 96), SDPRtpMap(payloadType: 96, encodingName: "telephone-event", clockRate: 8000))
        XCTAssertEqual(audio.fmtp[96], "0-15")
        XCTAssertEqual(audio.ptime, 30)
        XCTAssertEqual(audio.direction, .sendonly)
        XCTAssertNil(sdp.media[1].direction)
        XCTAssertEqual(sdp.description, Self.sippOffer)
        XCTAssertEqual(try SessionDescription(parsing: sdp.description), sdp)
    }

    func testLFLineEndsAndOptionalFields() throws {
        let text = "v=0\no=- 1 2 IN IP6 ::1\ns=call\ni=info\nu=http://x\ne=a@b\np=+1\nb=AS:64\nt=0 0\nr=7d 1h 0 25h\nz=0 0\nk=clear:x\na=recvonly\nm=audio 4000/2 RTP/AVP 0\ni=m info\nc=IN IP6 ::2\nb=AS:32\na=rtpmap:0 PCMU/8000/1\n"
        let sdp = try SessionDescription(parsing: text)
        XCTAssertEqual(sdp.direction, .recvonly)
        XCTAssertEqual(sdp.media[0].portCount, 2)
        XCTAssertEqual(sdp.media[0].connection?.addressType, "IP6")
        XCTAssertEqual(sdp.media[0].rtpmaps.first?.channels, 1)
        XCTAssertEqual(sdp.effectiveDirection(of: sdp.media[0]), .recvonly)
        XCTAssertEqual(try SessionDescription(parsing: sdp.description), sdp)
    }

    func testErrorsNameTheLine() {
        func line(_ text: String) -> Int? {
            do { _ = try SessionDescription(parsing: text); return nil } catch { return error.line }
        }
        XCTAssertEqual(line("o=- 1 2 IN IP4 a\r\n"), 1)
        XCTAssertEqual(line("v=1\r\n"), 1)
        XCTAssertEqual(line("v=0\r\no=- x 2 IN IP4 a\r\n"), 2)
        XCTAssertEqual(line("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nc=IN IP4\r\n"), 4)
        XCTAssertEqual(line("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio x RTP/AVP 0\r\n"), 5)
        XCTAssertEqual(line("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0 0\r\nm=audio 5 RTP/AVP 0\r\nz=0 0\r\n"), 6)
        XCTAssertEqual(line("v=0\r\no=- 1 2 IN IP4 a\r\ns=-\r\nt=0\r\n"), 4)
        XCTAssertEqual(line("v=0\r\no=- 1 2 IN IP4 a\r\nm =video 3227 RTP/AVP 31\r\n"), 3)
        XCTAssertEqual(line("v=0\r\no=- 1 2 IN IP4 a\r\nq=what\r\n"), 3)
        XCTAssertNotNil(line("v=0\r\ns=-\r\n"), "missing o=")
    }

    /// Fuzz/Crashes/SDPFuzz/crash-0ece473aa8a9d0a17b4058ce4d0afa674d6a52ec: an empty `s=` read as "" but was
    /// written back as "-", so the description did not read back as itself.
    func testEmptySessionNameReadsAsWritten() throws {
        let crash: [UInt8] = [
            0x76, 0x3d, 0x30, 0x0d, 0x0a, 0x6f, 0x3d, 0x2d, 0x20, 0x31, 0x20, 0x31, 0x20, 0x49, 0x4e, 0x20,
            0x49, 0x50, 0x32, 0x20, 0x31, 0x39, 0x32, 0x2e, 0x30, 0x2e, 0x32, 0x2e, 0x31, 0x30, 0x0d, 0x0a,
            0x73, 0x3d, 0x0a, 0x74, 0x3d, 0x30, 0x20, 0x30, 0x0d, 0x0a, 0x6d, 0x3d, 0x61, 0x75, 0x64, 0x69,
            0x6f, 0x20, 0x34, 0x30, 0x30, 0x30, 0x20, 0x52, 0x54, 0x50, 0x2f, 0x41, 0x56, 0x50, 0x20, 0x30,
            0x20, 0x38, 0x20, 0x31, 0x30, 0x31, 0x0d, 0x0a, 0x61, 0x3d, 0x72, 0x74, 0x70, 0x6d, 0x61, 0x70,
            0x3a, 0x30, 0x20, 0x30, 0x0d, 0x0a, 0x61, 0x3d, 0x72, 0x74, 0x70, 0x6d, 0x61, 0x70, 0x3a, 0x31,
            0x30, 0x32, 0x20, 0x74, 0x65, 0x6c, 0x65, 0x70, 0x68, 0x6f, 0x6e, 0x65, 0x2d, 0x01, 0x00, 0x00,
            0x00, 0x74, 0x2f, 0x38, 0x30, 0x30, 0x30, 0x0d, 0x0a, 0x61, 0x3d, 0x66, 0x6d, 0x74, 0x70, 0x3a,
            0x31, 0x30, 0x31, 0x20, 0x30, 0x2d, 0x31, 0x36, 0x0d, 0x0a, 0x61, 0x3d, 0x70, 0x74, 0x69, 0x6d,
            0x65, 0x3a, 0x31, 0x30, 0x0d, 0x0a, 0x61, 0x3d, 0x73, 0x65, 0x6e, 0x64, 0x72, 0x65, 0x63, 0x76,
            0x0d, 0x0a,
        ]
        let description = try SessionDescription(parsing: String(decoding: crash, as: UTF8.self))
        XCTAssertEqual(description.sessionName, "-")
        XCTAssertEqual(try SessionDescription(parsing: description.description), description)
    }
}
