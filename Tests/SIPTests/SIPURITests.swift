import XCTest
@testable import SIP

final class SIPURITests: XCTestCase {
    func testFullURI() throws {
        let uri = try SIPURI(parsing: "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent")
        XCTAssertEqual(uri.scheme, "sips")
        XCTAssertEqual(uri.user, "alice")
        XCTAssertEqual(uri.password, "secret")
        XCTAssertEqual(uri.host, "atlanta.example.com")
        XCTAssertEqual(uri.port, 5061)
        XCTAssertEqual(uri.parameter("TRANSPORT")?.value, "tcp")
        XCTAssertEqual(uri.parameter("lr"), SIPParameter(name: "lr"))
        XCTAssertEqual(uri.header("subject"), "project x")
        XCTAssertEqual(uri.header("priority"), "urgent")
        XCTAssertEqual(uri.description, "sips:alice:secret@atlanta.example.com:5061;transport=tcp;lr?subject=project%20x&priority=urgent")
    }

    func testSchemeIsLowercasedAndHostOnly() throws {
        let uri = try SIPURI(parsing: "SIP:Registrar.Example.com")
        XCTAssertEqual(uri.scheme, "sip")
        XCTAssertNil(uri.user)
        XCTAssertEqual(uri.host, "Registrar.Example.com")
        XCTAssertEqual(uri.description, "sip:Registrar.Example.com")
    }

    func testIPv6HostWithoutBrackets() throws {
        let uri = try SIPURI(parsing: "sip:bob@[2001:db8::10]:5070;maddr=[2001:db8::1]")
        XCTAssertEqual(uri.host, "2001:db8::10")
        XCTAssertEqual(uri.port, 5070)
        XCTAssertEqual(uri.parameter("maddr")?.value, "[2001:db8::1]")
        XCTAssertEqual(uri.description, "sip:bob@[2001:db8::10]:5070;maddr=%5B2001:db8::1%5D".replacingOccurrences(of: "%5B", with: "[").replacingOccurrences(of: "%5D", with: "]"))
        XCTAssertEqual(SIPURI(host: "::1", port: 5060).description, "sip:[::1]:5060")
    }

    func testPercentEscapesRoundTrip() throws {
        let uri = try SIPURI(parsing: "sip:%61lice%20smith@example.com;na%6De=v%61lue")
        XCTAssertEqual(uri.user, "alice smith")
        XCTAssertEqual(uri.parameter("name")?.value, "value")
        XCTAssertEqual(uri.description, "sip:alice%20smith@example.com;name=value")
        var built = SIPURI(user: "a@b c", host: "example.com", parameters: [SIPParameter(name: "x", value: "1;2")])
        built.headers = [SIPParameter(name: "Route", value: "<sip:p.example.com;lr>")]
        XCTAssertEqual(built.description, "sip:a%40b%20c@example.com;x=1%3B2?Route=%3Csip:p.example.com%3Blr%3E")
        XCTAssertEqual(try SIPURI(parsing: built.description), built)
    }

    func testTelephoneSubscriberUser() throws {
        let uri = try SIPURI(parsing: "sip:+1-212-555-1212:1234@gateway.com;user=phone")
        XCTAssertEqual(uri.user, "+1-212-555-1212")
        XCTAssertEqual(uri.password, "1234")
        XCTAssertEqual(uri.parameter("user")?.value, "phone")
    }

    func testOtherSchemesAreOpaque() throws {
        let tel = try SIPURI(parsing: "tel:+358-555-1234567;postd=pp22")
        XCTAssertEqual(tel.scheme, "tel")
        XCTAssertFalse(tel.isSIP)
        XCTAssertEqual(tel.opaque, "+358-555-1234567;postd=pp22")
        XCTAssertEqual(tel.description, "tel:+358-555-1234567;postd=pp22")
    }

    func testInvalidURIs() {
        for bad in ["", "sip", "sip:", "sip:@host", "sip:user@", "sip:host:port", "sip:host:70000", "sip:ho st", "sip:[::1", "sip:host;;x", "1sip:host", "sip:host;=v", "sip:host?noequals", "<sip:host>", "sip:ho_st"] {
            XCTAssertThrowsError(try SIPURI(parsing: bad), bad)
        }
    }
}
