import XCTest
@testable import SIP

final class SIPSerializationTests: XCTestCase {
    func makeInvite() -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("Via", SIPVia(transport: "UDP", host: "192.0.2.10", port: 5060, branch: "z9hG4bKnashds8").description)
        headers.add("Max-Forwards", "70")
        headers.add("From", "\"Alice\" <sip:alice@example.com>;tag=9fxced76sl")
        headers.add("To", "<sip:bob@example.com>")
        headers.add("Call-ID", "3848276298220188511@example.com")
        headers.add("CSeq", "1 INVITE")
        headers.add("Content-Type", "application/sdp")
        headers.add("Content-Length", "999")
        return SIPRequest(method: .invite, uri: SIPURI(user: "bob", host: "example.com"), headers: headers, body: Array("v=0\r\n".utf8))
    }

    func testRequestRoundTripAndContentLength() throws {
        let request = makeInvite()
        let wire = request.serialized()
        let text = String(decoding: wire, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds8\r\n"))
        XCTAssertTrue(text.contains("\r\nContent-Length: 5\r\n\r\nv=0\r\n"))
        XCTAssertFalse(text.contains("999"))
        guard case .request(let parsed) = try SIPMessageParser.parse(wire) else { return XCTFail() }
        var expected = request
        expected.headers.set("Content-Length", "5")
        expected.headers.remove("Content-Length")
        expected.headers.add("Content-Length", "5")
        XCTAssertEqual(parsed, expected)
        XCTAssertEqual(parsed.serialized(), wire)
    }

    func testRFC4475MessagesSurviveReserialisation() throws {
        for (name, bytes) in try RFC4475Tests.corpus() {
            guard let message = try? SIPMessageParser.parse(bytes) else { continue }
            let again = try SIPMessageParser.parse(message.serialized())
            XCTAssertEqual(again.serialized(), message.serialized(), name)
            switch (message, again) {
            case (.request(let a), .request(let b)):
                XCTAssertEqual(a.method, b.method, name)
                XCTAssertEqual(a.uri, b.uri, name)
                XCTAssertEqual(a.body, b.body, name)
                XCTAssertEqual(a.vias, b.vias, name)
                XCTAssertEqual(a.from, b.from, name)
            case (.response(let a), .response(let b)):
                XCTAssertEqual(a.statusCode, b.statusCode, name)
                XCTAssertEqual(a.reasonPhrase, b.reasonPhrase, name)
                XCTAssertEqual(a.body, b.body, name)
            default: XCTFail(name)
            }
        }
    }

    func testResponseReplyingToRequest() throws {
        var request = makeInvite()
        request.headers.add("Via", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2")
        request.headers.add("Timestamp", "54")
        let ringing = SIPResponse(replyingTo: request, statusCode: 180, toTag: "as7d9")
        XCTAssertEqual(ringing.reasonPhrase, "Ringing")
        XCTAssertEqual(ringing.headers.values("Via"), ["SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKnashds8", "SIP/2.0/UDP proxy.example.com;branch=z9hG4bK2"])
        XCTAssertEqual(ringing.to?.tag, "as7d9")
        XCTAssertEqual(ringing.from?.tag, "9fxced76sl")
        XCTAssertEqual(ringing.callID, "3848276298220188511@example.com")
        XCTAssertEqual(ringing.cseq, SIPCSeq(sequence: 1, method: .invite))
        XCTAssertNil(ringing.headers["Max-Forwards"])
        XCTAssertNil(ringing.headers["Timestamp"])

        let trying = SIPResponse(replyingTo: request, statusCode: 100, toTag: "ignored")
        XCTAssertNil(trying.to?.tag, "100 Trying carries no To tag")
        XCTAssertEqual(trying.headers["Timestamp"], "54")

        request.headers.set("To", "<sip:bob@example.com>;tag=existing")
        XCTAssertEqual(SIPResponse(replyingTo: request, statusCode: 200, toTag: "new").to?.tag, "existing")

        // RFC 3261 §12.1.1: responses that make a dialog copy Record-Route, in order; others do not.
        var routed = makeInvite()
        routed.headers.add("Record-Route", "<sip:edge1.example;lr>")
        routed.headers.add("Record-Route", "<sip:192.0.2.7:5070;lr;ftag=x>, <sip:edge3.example;lr>")
        for status in [180, 183, 200] {
            XCTAssertEqual(SIPResponse(replyingTo: routed, statusCode: status, toTag: "t").headers.values("Record-Route"),
                           ["<sip:edge1.example;lr>", "<sip:192.0.2.7:5070;lr;ftag=x>", "<sip:edge3.example;lr>"], "\(status)")
        }
        for status in [100, 486, 503] {
            XCTAssertEqual(SIPResponse(replyingTo: routed, statusCode: status, toTag: "t").headers.values("Record-Route"), [],
                           "\(status)")
        }

        let wire = String(decoding: SIPResponse(statusCode: 486).serialized(), as: UTF8.self)
        XCTAssertEqual(wire, "SIP/2.0 486 Busy Here\r\nContent-Length: 0\r\n\r\n")
        XCTAssertEqual(SIPResponse(statusCode: 299).reasonPhrase, "OK")
    }
}
