import XCTest
@testable import SIP

final class SIPMessageParserTests: XCTestCase {
    func bytes(_ lines: [String], body: String = "") -> [UInt8] {
        Array((lines.joined(separator: "\r\n") + "\r\n\r\n" + body).utf8)
    }

    func request(_ lines: [String], body: String = "") throws -> SIPRequest {
        guard case .request(let r) = try SIPMessageParser.parse(bytes(lines, body: body)) else {
            XCTFail("not a request"); throw SIPParseError(reason: "not a request")
        }
        return r
    }

    func parseError(_ lines: [String], body: String = "", file: StaticString = #filePath, line: UInt = #line) -> SIPParseError? {
        do {
            _ = try SIPMessageParser.parse(bytes(lines, body: body))
            XCTFail("expected a parse error", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    static let basic = [
        "INVITE sip:bob@example.com SIP/2.0",
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776asdhds;rport",
        "Max-Forwards: 70",
        "To: Bob <sip:bob@example.com>",
        "From: \"Alice \\\"A\\\"\" <sip:alice@example.com>;tag=1928301774",
        "Call-ID: a84b4c76e66710@pc33.example.com",
        "CSeq: 314159 INVITE",
        "Contact: <sip:alice@192.0.2.1>",
        "Content-Type: application/sdp",
    ]

    func testBasicInvite() throws {
        let r = try request(Self.basic + ["Content-Length: 4"], body: "v=0\n")
        XCTAssertEqual(r.method, .invite)
        XCTAssertEqual(r.uri, SIPURI(user: "bob", host: "example.com"))
        XCTAssertEqual(r.version, "SIP/2.0")
        XCTAssertEqual(r.topVia?.host, "192.0.2.1")
        XCTAssertEqual(r.topVia?.port, 5060)
        XCTAssertEqual(r.topVia?.rport, .requested)
        XCTAssertEqual(r.from?.displayName, "Alice \"A\"")
        XCTAssertEqual(r.from?.tag, "1928301774")
        XCTAssertNil(r.to?.tag)
        XCTAssertEqual(r.to?.displayName, "Bob")
        XCTAssertEqual(r.callID, "a84b4c76e66710@pc33.example.com")
        XCTAssertEqual(r.cseq, SIPCSeq(sequence: 314159, method: .invite))
        XCTAssertEqual(r.maxForwards, 70)
        XCTAssertEqual(r.contentLength, 4)
        XCTAssertEqual(r.body, Array("v=0\n".utf8))
    }

    func testFoldingCompactFormsAndRepeatedHeaders() throws {
        let r = try request([
            "OPTIONS sip:carol@chicago.example.com SIP/2.0",
            "v: SIP/2.0/UDP a.example.com;branch=z9hG4bK1,",
            "   SIP/2.0/TCP b.example.com;branch=z9hG4bK2",
            "Via: SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK3;received=[2001:db8::9]",
            "t: <sip:carol@chicago.example.com>",
            "f: <sip:alice@example.com>;tag=1",
            "i: abc",
            "CSeq: 1",
            "\tOPTIONS",
            "Supported: timer,",
            " 100rel",
            "k: replaces",
            "Subject: lunch,",
            "  at noon",
            "l: 0",
        ])
        XCTAssertEqual(r.vias.map(\.host), ["a.example.com", "b.example.com", "2001:db8::1"])
        XCTAssertEqual(r.vias[2].port, 5070)
        XCTAssertEqual(r.vias[2].received, "[2001:db8::9]")
        XCTAssertEqual(r.vias[2].description, "SIP/2.0/UDP [2001:db8::1]:5070;branch=z9hG4bK3;received=[2001:db8::9]")
        XCTAssertEqual(r.headers.values("Via").count, 3)
        XCTAssertEqual(r.headers["via"], "SIP/2.0/UDP a.example.com;branch=z9hG4bK1, SIP/2.0/TCP b.example.com;branch=z9hG4bK2")
        XCTAssertEqual(r.callID, "abc")
        XCTAssertEqual(r.headers["CALL-ID"], "abc")
        XCTAssertEqual(r.cseq, SIPCSeq(sequence: 1, method: .options))
        XCTAssertEqual(r.supported, ["timer", "100rel", "replaces"])
        XCTAssertEqual(r.headers.values("Subject"), ["lunch, at noon"], "Subject is not a list header")
        XCTAssertEqual(r.contentLength, 0)
    }

    func testLFOnlyAndLeadingCRLFAndMissingFinalBlankLine() throws {
        let text = "\r\n\r\nBYE sip:a@b SIP/2.0\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\nTo: <sip:a@b>;tag=1\nFrom: <sip:c@d>;tag=2\nCall-ID: x\nCSeq: 2 BYE\nContent-Length: 0"
        guard case .request(let r) = try SIPMessageParser.parse(Array(text.utf8)) else { return XCTFail() }
        XCTAssertEqual(r.method, .bye)
        XCTAssertEqual(r.to?.tag, "1")
    }

    func testCommaListsRespectQuotesAndAngles() throws {
        let r = try request(Self.basic.filter { !$0.hasPrefix("Contact") } + [
            "Contact: \"Smith, John\" <sip:j@a.example.com;x=1,2>;q=0.5, <sip:k@b.example.com>, sip:l@c.example.com;expires=60",
            "Content-Length: 0",
        ])
        let contacts = r.contacts
        XCTAssertEqual(contacts.count, 3)
        XCTAssertEqual(contacts[0].displayName, "Smith, John")
        XCTAssertEqual(contacts[0].uri.parameter("x")?.value, "1,2")
        XCTAssertEqual(contacts[0].parameter("q")?.value, "0.5")
        XCTAssertEqual(contacts[2].parameter("expires")?.value, "60")
    }

    func testBodyByContentLength() throws {
        let withExtra = try request(Self.basic + ["Content-Length: 3"], body: "abcdef")
        XCTAssertEqual(withExtra.body, Array("abc".utf8))
        let noLength = try request(Self.basic, body: "abcdef")
        XCTAssertEqual(noLength.body, Array("abcdef".utf8))
        let e = parseError(Self.basic + ["Content-Length: 10"], body: "abc")
        XCTAssertEqual(e?.line, 10)
        XCTAssertEqual(e?.reason, "Content-Length 10 exceeds body of 3 bytes")
        XCTAssertEqual(e?.status, 400)
        XCTAssertEqual(e?.salvage?.callID, "a84b4c76e66710@pc33.example.com")
        XCTAssertEqual(e?.salvage?.headers.count, 5)
    }

    func testStreamModeRequiresContentLength() {
        let b = bytes(Self.basic)
        XCTAssertThrowsError(try SIPMessageParser.parse(b, in: 0..<b.count, stream: true))
        let ok = bytes(Self.basic + ["Content-Length: 0"])
        XCTAssertNoThrow(try SIPMessageParser.parse(ok, in: 0..<ok.count, stream: true))
    }

    func testErrorsNameTheirLine() {
        func check(_ replace: (Int, String), line: Int, contains: String, status: Int = 400, file: StaticString = #filePath, l: UInt = #line) {
            var lines = Self.basic + ["Content-Length: 0"]
            lines[replace.0] = replace.1
            guard let e = parseError(lines, file: file, line: l) else { return }
            XCTAssertEqual(e.line, line, e.description, file: file, line: l)
            XCTAssertTrue(e.reason.contains(contains), e.reason, file: file, line: l)
            XCTAssertEqual(e.status, status, file: file, line: l)
        }
        check((0, "INVITE sip:bob@example.com SIP/3.0"), line: 1, contains: "SIP/3.0", status: 505)
        check((0, "INVITE sip:bob@example.com HTTP/1.1"), line: 1, contains: "SIP-Version")
        check((0, "INV;TE sip:bob@example.com SIP/2.0"), line: 1, contains: "not a token")
        check((0, "INVITE sip:bob@ex ample.com SIP/2.0"), line: 1, contains: "Request-URI")
        check((0, "INVITE sip:@example.com SIP/2.0"), line: 1, contains: "user")
        check((1, "Via: SIP/2.0/UDP"), line: 2, contains: "Via")
        check((1, "Via: SIP/2.0/UDP host:99999;branch=z9hG4bKa"), line: 2, contains: "port")
        check((1, "Via: SIP/2.0/UDP host;branch"), line: 2, contains: "branch")
        check((3, "To: <sip:bob@example.com"), line: 4, contains: "'>'")
        check((4, "From: \"Alice <sip:alice@example.com>;tag=1"), line: 5, contains: "quoted")
        check((5, "Call-ID: two words"), line: 6, contains: "Call-ID")
        check((6, "CSeq: INVITE"), line: 7, contains: "CSeq")
        check((6, "CSeq: 99999999999 INVITE"), line: 7, contains: "2**32-1")
        check((7, "Contact: <sip:alice@192.0.2.1>;;"), line: 8, contains: "parameter")
        check((8, "Bad Header: x"), line: 9, contains: "header name")
        check((8, "no colon here"), line: 9, contains: "without ':'")
        check((2, "Content-Length: -1"), line: 3, contains: "Content-Length")
    }

    func testLineNumbersCountFoldedLines() {
        let lines = [
            "OPTIONS sip:a@b SIP/2.0",
            "Via: SIP/2.0/UDP h;branch=z9hG4bK1,",
            "  SIP/2.0/UDP h2;branch=z9hG4bK2",
            "To: <sip:a@b>",
            "From:",
            "  <sip:c@d>;tag=1",
            "Call-ID: x",
            "CSeq: 1 OPTIONS",
            "Contact: <sip:c@d>,",
            "   <sip:e@f;;>",
            "Content-Length: 0",
        ]
        let e = parseError(lines)
        XCTAssertEqual(e?.line, 9, "the error is reported at the field's first line")
        XCTAssertEqual(e?.description, "line 9: Contact: URI \"sip:e@f;;\": empty URI parameter (400)")
        XCTAssertEqual(e?.salvage?.headers.values("Via").count, 2)
    }

    func testResponses() throws {
        let text = "SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nTo: <sip:a@b>;tag=1\r\nFrom: <sip:c@d>;tag=2\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n"
        guard case .response(let r) = try SIPMessageParser.parse(Array(text.utf8)) else { return XCTFail() }
        XCTAssertEqual(r.statusCode, 180)
        XCTAssertEqual(r.reasonPhrase, "Ringing")
        XCTAssertNil(SIPRequestValidator().discardReason(for: r))
        for bad in ["SIP/2.0 18 Ringing", "SIP/2.0 1800 Ringing", "SIP/2.0 099 Odd", "SIP/2.0 abc Ringing"] {
            let b = Array(text.replacingOccurrences(of: "SIP/2.0 180 Ringing", with: bad).utf8)
            XCTAssertThrowsError(try SIPMessageParser.parse(b)) { error in
                XCTAssertEqual((error as? SIPParseError)?.line, 1)
                XCTAssertNil((error as? SIPParseError)?.salvage, "responses are never salvaged")
            }
        }
    }

    func testAckIsNeverSalvaged() {
        var lines = Self.basic + ["Content-Length: 99"]
        lines[0] = "ACK sip:bob@example.com SIP/2.0"
        lines[6] = "CSeq: 314159 ACK"
        let e = parseError(lines)
        XCTAssertNotNil(e)
        XCTAssertNil(e?.salvage)
    }

    func testEmptyAndGarbage() {
        XCTAssertThrowsError(try SIPMessageParser.parse([]))
        XCTAssertThrowsError(try SIPMessageParser.parse(Array("\r\n\r\n".utf8)))
        XCTAssertThrowsError(try SIPMessageParser.parse([0xff, 0xfe, 0x00]))
    }
}

final class SIPTypicalTrafficTests: XCTestCase {
    /// What sipp's uac scenario sends, with a telephone-event SDP.
    func testSippStyleInviteParsesAndNegotiates() throws {
        let sdp = "v=0\r\no=user1 53655765 2353687637 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n"
        let text = "INVITE sip:1000@switchback.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1-0;rport\r\nMax-Forwards: 70\r\nFrom: \"Alice\" <sip:alice@192.0.2.10:5060>;tag=1SIPpTag001\r\nTo: <sip:1000@switchback.example.com>\r\nCall-ID: 1-12345@192.0.2.10\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@192.0.2.10:5060;transport=udp>\r\nAllow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO\r\nSupported: replaces, timer\r\nContent-Type: application/sdp\r\nContent-Length: \(sdp.utf8.count)\r\n\r\n\(sdp)"
        guard case .request(let invite) = try SIPMessageParser.parse(Array(text.utf8)) else { return XCTFail() }
        XCTAssertNil(SIPRequestValidator().check(invite))
        XCTAssertEqual(invite.allow, ["INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO"])
        XCTAssertEqual(invite.contacts.first?.uri.parameter("transport")?.value, "udp")
        let offer = try SessionDescription(parsing: String(decoding: invite.body, as: UTF8.self))
        let (answer, media) = try SDPOfferAnswer.answer(to: offer, localAddress: "192.0.2.99", localPort: 20000, sessionID: 5, sessionVersion: 5)
        XCTAssertEqual(media.codec, .pcmu)
        XCTAssertEqual(media.telephoneEventPayloadType, 101)
        var ok = SIPResponse(replyingTo: invite, statusCode: 200, toTag: "8a7b6c")
        ok.headers.add("Contact", "<sip:1000@192.0.2.99:5060>")
        ok.headers.add("Content-Type", "application/sdp")
        ok.body = answer.bytes
        guard case .response(let parsed) = try SIPMessageParser.parse(ok.serialized()) else { return XCTFail() }
        XCTAssertEqual(parsed.to?.tag, "8a7b6c")
        XCTAssertEqual(parsed.topVia?.rport, .requested)
        XCTAssertEqual(try SessionDescription(parsing: String(decoding: parsed.body, as: UTF8.self)), answer)
    }
}
