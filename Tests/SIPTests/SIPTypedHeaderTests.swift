import XCTest
@testable import SIP

final class SIPTypedHeaderTests: XCTestCase {
    func testVia() throws {
        var via = try SIPVia(parsing: "SIP/2.0/udp pc33.atlanta.example.com:5066 ; branch = z9hG4bK776asdhds ;received=192.0.2.1;rport=5060;ttl=1")
        XCTAssertEqual(via.transport, "UDP")
        XCTAssertEqual(via.host, "pc33.atlanta.example.com")
        XCTAssertEqual(via.port, 5066)
        XCTAssertEqual(via.branch, "z9hG4bK776asdhds")
        XCTAssertTrue(via.hasRFC3261Branch)
        XCTAssertEqual(via.received, "192.0.2.1")
        XCTAssertEqual(via.rport, .value(5060))
        XCTAssertEqual(via.parameters.first(named: "ttl")?.value, "1")
        via.rport = .value(6000)
        via.received = "198.51.100.7"
        XCTAssertEqual(via.description, "SIP/2.0/UDP pc33.atlanta.example.com:5066;branch=z9hG4bK776asdhds;received=198.51.100.7;rport=6000;ttl=1")
        var fresh = SIPVia(transport: "tcp", host: "10.0.0.1", port: 5060, branch: "z9hG4bKabc")
        fresh.rport = .requested
        XCTAssertEqual(fresh.description, "SIP/2.0/TCP 10.0.0.1:5060;branch=z9hG4bKabc;rport")
        XCTAssertEqual(try SIPVia(parsing: fresh.description), fresh)
        XCTAssertEqual(try SIPVia(parsing: "SIP/2.0/UDP h;rport").rport, .requested)
        XCTAssertEqual(try SIPVia(parsing: "SIP/2.0/UDP h").rport, .absent)
        for bad in ["SIP/2.0 host", "SIP/2.0/UDP", "SIP/2.0/UDP host;", "SIP/2.0/UDP host, SIP/2.0/UDP b", "SIP/2.0/UDP host:x", "SIP/2.0/UDP host;branch"] {
            XCTAssertThrowsError(try SIPVia(parsing: bad), bad)
        }
    }

    func testNameAddress() throws {
        let a = try SIPNameAddress(parsing: "\"Bob \\\"the\\\" Builder\" <sip:bob@biloxi.example.com;transport=tcp>;tag=a6c85cf;expires=60")
        XCTAssertEqual(a.displayName, "Bob \"the\" Builder")
        XCTAssertEqual(a.uri.parameter("transport")?.value, "tcp")
        XCTAssertEqual(a.tag, "a6c85cf")
        XCTAssertEqual(a.parameter("expires")?.value, "60")
        XCTAssertEqual(a.description, "\"Bob \\\"the\\\" Builder\" <sip:bob@biloxi.example.com;transport=tcp>;tag=a6c85cf;expires=60")
        XCTAssertEqual(try SIPNameAddress(parsing: a.description), a)

        let addrSpec = try SIPNameAddress(parsing: "sip:alice@atlanta.example.com;tag=88sja8x")
        XCTAssertNil(addrSpec.displayName)
        XCTAssertTrue(addrSpec.uri.parameters.isEmpty)
        XCTAssertEqual(addrSpec.tag, "88sja8x")

        let tokens = try SIPNameAddress(parsing: "A. G. Bell <sip:agb@bell-telephone.com> ;tag=a48s")
        XCTAssertEqual(tokens.displayName, "A. G. Bell")
        XCTAssertEqual(tokens.tag, "a48s")

        var noTag = try SIPNameAddress(parsing: "<sip:x@y>")
        noTag.tag = "t1"
        XCTAssertEqual(noTag.description, "<sip:x@y>;tag=t1")

        for bad in ["Bell, Alexander <sip:a@b>", "\"unterminated <sip:a@b>", "<sip:a@b", "< sip:a@b >", "sip:a@b?Route=x", "<sip:a@b>;", "<sip:a@b> junk", ""] {
            XCTAssertThrowsError(try SIPNameAddress(parsing: bad), bad)
        }
    }

    func testCSeq() throws {
        XCTAssertEqual(try SIPCSeq(parsing: "4711 INVITE"), SIPCSeq(sequence: 4711, method: .invite))
        XCTAssertEqual(try SIPCSeq(parsing: " 0009   ACK ").description, "9 ACK")
        XCTAssertEqual(try SIPCSeq(parsing: "4294967295 BYE").sequence, UInt32.max)
        for bad in ["4294967296 BYE", "INVITE", "1", "1INVITE", "1 INVITE x", "-1 INVITE"] {
            XCTAssertThrowsError(try SIPCSeq(parsing: bad), bad)
        }
    }

    func testMethods() {
        XCTAssertEqual(SIPMethod("INVITE"), .invite)
        XCTAssertEqual(SIPMethod("invite"), .other("invite"))
        XCTAssertNotEqual(SIPMethod("invite"), .invite)
        XCTAssertEqual(SIPMethod.other("BYE"), .bye, "an .other spelling of a known method is that method")
        XCTAssertEqual(Set([SIPMethod.other("BYE"), .bye]).count, 1)
        for m: SIPMethod in [.invite, .ack, .bye, .cancel, .options, .register, .info, .prack, .update, .subscribe, .notify, .refer, .message, .publish] {
            XCTAssertEqual(SIPMethod(m.name), m)
        }
    }
}
