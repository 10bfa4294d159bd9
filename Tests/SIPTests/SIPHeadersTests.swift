import XCTest
@testable import SIP

final class SIPHeadersTests: XCTestCase {
    func testCaseInsensitiveAndCompactForms() {
        var h = SIPHeaders([("v", "SIP/2.0/UDP a;branch=z9hG4bK1"), ("VIA", "SIP/2.0/UDP b;branch=z9hG4bK2"), ("i", "id1"), ("m", "<sip:a@b>"), ("l", "0")])
        XCTAssertEqual(h["Via"], "SIP/2.0/UDP a;branch=z9hG4bK1")
        XCTAssertEqual(h.values("via").count, 2)
        XCTAssertEqual(h["Call-ID"], "id1")
        XCTAssertEqual(h["call-id"], "id1")
        XCTAssertEqual(h["I"], "id1")
        XCTAssertEqual(h["Contact"], "<sip:a@b>")
        XCTAssertTrue(h.contains("content-length"))
        XCTAssertFalse(h.contains("Content-Type"))
        for (compact, long) in [("f", "From"), ("t", "To"), ("c", "Content-Type"), ("k", "Supported"), ("s", "Subject"), ("e", "Content-Encoding"), ("o", "Event"), ("u", "Allow-Events"), ("r", "Refer-To"), ("b", "Referred-By"), ("x", "Session-Expires"), ("y", "Identity")] {
            let one = SIPHeaders([(compact, "value")])
            XCTAssertEqual(one[long], "value", long)
            XCTAssertEqual(SIPHeaders([(long, "value")])[compact], "value", compact)
        }
        h.set("via", "SIP/2.0/TCP c;branch=z9hG4bK3")
        XCTAssertEqual(h.values("Via"), ["SIP/2.0/TCP c;branch=z9hG4bK3"])
        XCTAssertEqual(h.fields.first?.name, "via", "set keeps the place of the first field")
        h.remove("CALL-ID")
        XCTAssertNil(h["i"])
        h.add("Allow", "INVITE, ACK")
        h.add("Allow", "BYE")
        XCTAssertEqual(h.values("Allow"), ["INVITE", "ACK", "BYE"])
        h.prepend("Route", "<sip:p1;lr>, <sip:p2;lr>")
        XCTAssertEqual(h.fields.first?.name, "Route")
        XCTAssertEqual(h.values("Route"), ["<sip:p1;lr>", "<sip:p2;lr>"])
    }

    func testListSplittingOnlyForListHeaders() {
        let h = SIPHeaders([
            ("WWW-Authenticate", "Digest realm=\"a, b\", nonce=\"x\", qop=\"auth,auth-int\""),
            ("Date", "Sat, 13 Nov 2010 23:29:00 GMT"),
            ("Supported", "timer, 100rel,, replaces"),
            ("Contact", "\"A, B\" <sip:a@b>, <sip:c@d;x=\"1,2\">"),
        ])
        XCTAssertEqual(h.values("WWW-Authenticate").count, 1)
        XCTAssertEqual(h.values("Date"), ["Sat, 13 Nov 2010 23:29:00 GMT"])
        XCTAssertEqual(h.values("Supported"), ["timer", "100rel", "replaces"])
        XCTAssertEqual(h.values("Contact"), ["\"A, B\" <sip:a@b>", "<sip:c@d;x=\"1,2\">"])
    }
}
