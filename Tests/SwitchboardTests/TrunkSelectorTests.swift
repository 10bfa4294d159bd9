import SIPStack
import XCTest
@testable import Switchboard

final class TrunkSelectorTests: XCTestCase {
    private func selector(_ trunks: [SwitchbackConfiguration.Trunk]) throws -> TrunkSelector {
        try TrunkSelector(configuration: trunks)
    }

    func testLongestPrefixWinsAndStarIsTheFallback() throws {
        let s = try selector([
            .init(name: "any", uri: "sip:any.example.net", destinations: ["*"]),
            .init(name: "uk", uri: "sip:uk.example.net:5070", destinations: ["44"]),
            .init(name: "london", uri: "sip:ldn.example.net", destinations: ["4420", "4421"]),
        ])
        XCTAssertEqual(try s.route(for: "442071234567").trunk, "london")
        XCTAssertEqual(try s.route(for: "441611234567").trunk, "uk")
        XCTAssertEqual(try s.route(for: "4930123456").trunk, "any")
        XCTAssertEqual(try s.route(for: "441611234567").destination, SIPDestination(transport: .udp, host: "uk.example.net", port: 5070))
        XCTAssertEqual(try s.route(for: "4930123456").destination.port, 5060)
    }

    func testTieGoesToTheTrunkListedFirst() throws {
        let s = try selector([
            .init(name: "first", uri: "sip:a.example.net", destinations: ["33"]),
            .init(name: "second", uri: "sip:b.example.net", destinations: ["33"]),
        ])
        XCTAssertEqual(try s.route(for: "33123").trunk, "first")
    }

    func testNoMatchingTrunkIsAnError() throws {
        let s = try selector([.init(name: "uk", uri: "sip:uk.example.net", destinations: ["44"])])
        XCTAssertThrowsError(try s.route(for: "33123")) { error in
            XCTAssertEqual(error as? TrunkSelectionError, .noTrunk(number: "33123"))
        }
        XCTAssertThrowsError(try selector([]).route(for: "1"))
    }

    func testRewritingStripsThenPrefixesAndBuildsTheRequestURI() throws {
        let s = try selector([.init(name: "intl", uri: "sip:gw.example.net:5080;transport=tcp", destinations: ["0"],
                                    strip: 1, prefix: "+49")])
        let route = try s.route(for: "03012345")
        XCTAssertEqual(route.dialled, "03012345")
        XCTAssertEqual(route.number, "+493012345")
        XCTAssertEqual(route.requestURI.user, "+493012345")
        XCTAssertEqual(route.requestURI.host, "gw.example.net")
        XCTAssertEqual(route.requestURI.port, 5080)
        XCTAssertEqual(route.destination, SIPDestination(transport: .tcp, host: "gw.example.net", port: 5080))
        XCTAssertTrue(route.requestURI.description.hasPrefix("sip:+493012345@gw.example.net:5080"), route.requestURI.description)
    }

    func testTransportKeyOverridesTheURIAndCredentialsBecomeALogin() throws {
        let s = try selector([.init(name: "t", uri: "sip:gw.example.net;transport=udp", transport: "tcp",
                                    username: "acct", password: "secret", callerID: "4930999")])
        let route = try s.route(for: "123")
        XCTAssertEqual(route.destination.transport, .tcp)
        XCTAssertEqual(route.login, DigestLogin(username: "acct", password: "secret"))
        XCTAssertEqual(route.callerID, "4930999")
        XCTAssertFalse(route.login!.description.contains("secret"))
    }

    func testBadTrunksAreRefusedAtConstruction() {
        XCTAssertThrowsError(try selector([.init(name: "x", uri: "mailto:someone@example.net")]))
        XCTAssertThrowsError(try selector([.init(name: "x", uri: "sip:gw.example.net", transport: "sctp")])) { error in
            XCTAssertEqual(error as? TrunkSelectionError, .unsupportedTransport(trunk: "x", transport: "sctp"))
        }
    }

    func testStrippingEverythingIsAnError() throws {
        let s = try selector([.init(name: "x", uri: "sip:gw.example.net", strip: 5)])
        XCTAssertThrowsError(try s.route(for: "123")) { error in
            XCTAssertEqual(error as? TrunkSelectionError, .emptyNumber(number: "123", trunk: "x"))
        }
    }

    func testConfigurationReadsTheTrunkKeys() throws {
        let configuration = try ConfigurationLoader.parse(yaml: """
        trunks:
          - name: pstn
            uri: sip:127.0.0.1:5090
            transport: tcp
            destinations: ["00", "*"]
            username: acct
            password: secret
            strip: 2
            prefix: "+"
            caller-id: "4930111"
        """, file: "test.yaml")
        XCTAssertEqual(configuration.trunks, [.init(name: "pstn", uri: "sip:127.0.0.1:5090", destinations: ["00", "*"], transport: "tcp",
                                                    username: "acct", password: "secret", strip: 2, prefix: "+", callerID: "4930111")])
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "trunks: [{ name: a, uri: 'sip:h', transport: sctp }]", file: "t"))
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "trunks: [{ name: a, uri: 'sip:h', username: u }]", file: "t"))
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "trunks: [{ name: a, uri: 'sip:h', strip: -1 }]", file: "t"))
    }
}
