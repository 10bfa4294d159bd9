import XCTest
@testable import SIP

final class SIPRequestValidatorTests: XCTestCase {
    func invite(_ extra: [(String, String)] = [], removing: [String] = [], body: String = "", method: SIPMethod = .invite) -> SIPRequest {
        var h = SIPHeaders([
            ("Via", "SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK74bf9"),
            ("Max-Forwards", "70"),
            ("From", "<sip:alice@example.com>;tag=1"),
            ("To", "<sip:bob@example.com>"),
            ("Call-ID", "c1"),
            ("CSeq", "1 \(method.name)"),
        ])
        for name in removing { h.remove(name) }
        for (n, v) in extra { h.add(n, v) }
        return SIPRequest(method: method, uri: SIPURI(user: "bob", host: "example.com"), headers: h, body: Array(body.utf8))
    }

    let validator = SIPRequestValidator(supportedExtensions: ["timer", "100rel"])

    func testAcceptsAGoodRequest() {
        XCTAssertNil(validator.check(invite()))
        XCTAssertNil(validator.check(invite([("Require", "timer, 100rel"), ("Content-Type", "application/sdp")], body: "v=0\r\n")))
        XCTAssertNil(validator.check(invite(removing: ["Max-Forwards"])), "RFC 2543 peers send no Max-Forwards")
    }

    func testRejections() {
        func status(_ r: SIPRequest) -> Int? { validator.check(r)?.statusCode }
        XCTAssertEqual(status(invite(removing: ["Call-ID"])), 400)
        XCTAssertEqual(validator.check(invite(removing: ["From", "To"]))?.reason, "Missing From, To")
        XCTAssertEqual(status(invite([("CSeq", "2 INVITE")])), 400)
        XCTAssertEqual(status(invite([("Max-Forwards", "69")])), 400)
        var mismatched = invite()
        mismatched.headers.set("CSeq", "1 BYE")
        XCTAssertEqual(status(mismatched), 400)
        XCTAssertEqual(status(invite([("Max-Forwards", "0")], removing: ["Max-Forwards"])), 483)
        var tel = invite()
        tel.uri = try! SIPURI(parsing: "tel:+15551234")
        XCTAssertEqual(status(tel), 416)
        let r420 = validator.check(invite([("Require", "timer, foo,Bar")]))
        XCTAssertEqual(r420?.statusCode, 420)
        XCTAssertEqual(r420?.extraHeaders.first, SIPHeaderField(name: "Unsupported", value: "foo, Bar"))
        XCTAssertNil(validator.check(invite([("Require", "foo")], method: .ack)), "Require is ignored on ACK")
        XCTAssertEqual(status(invite([("Content-Type", "text/html")], body: "<p>")), 415)
        XCTAssertEqual(status(invite(body: "v=0")), 415, "a body without Content-Type")
        let gz = validator.check(invite([("Content-Type", "application/sdp"), ("Content-Encoding", "gzip")], body: "x"))
        XCTAssertEqual(gz?.statusCode, 415)
        XCTAssertEqual(gz?.extraHeaders.first?.name, "Accept-Encoding")
        XCTAssertEqual(status(invite([("Accept", "text/plain")])), 406)
        XCTAssertNil(validator.check(invite([("Accept", "application/sdp;level=1, text/plain")])))
        var v1 = invite()
        v1.version = "SIP/1.0"
        XCTAssertEqual(status(v1), 505)
        let methods = SIPRequestValidator(implementedMethods: [.invite, .ack, .bye, .cancel, .options])
        let r501 = methods.check(invite(method: .subscribe))
        XCTAssertEqual(r501?.statusCode, 501)
        XCTAssertEqual(r501?.extraHeaders.first?.value, "INVITE, ACK, BYE, CANCEL, OPTIONS")
    }

    func testRegisterToMustBeSIP() {
        var r = invite(method: .register)
        r.headers.set("To", "<tel:+15551234>")
        XCTAssertEqual(validator.check(r)?.statusCode, 400)
    }

    func testResponseDiscarding() {
        let v = SIPRequestValidator()
        let base = SIPHeaders([("Via", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("From", "<sip:a@b>;tag=1"), ("To", "<sip:c@d>"), ("Call-ID", "x"), ("CSeq", "1 INVITE")])
        XCTAssertNil(v.discardReason(for: SIPResponse(statusCode: 200, headers: base)))
        var two = base
        two.add("Via", "SIP/2.0/UDP b;branch=z9hG4bK2")
        XCTAssertNotNil(v.discardReason(for: SIPResponse(statusCode: 200, headers: two)))
        var none = base
        none.remove("Call-ID")
        XCTAssertNotNil(v.discardReason(for: SIPResponse(statusCode: 200, headers: none)))
    }
}
