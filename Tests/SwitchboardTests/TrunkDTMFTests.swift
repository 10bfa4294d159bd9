import Media
import XCTest
@testable import Switchboard

/// A trunk's `dtmf:` (issue 19): read from the configuration, named with its line when
/// wrong, carried by the routes placed through the trunk and given to calls arriving
/// from its `trusted-sources`.
final class TrunkDTMFTests: XCTestCase {
    func testEachModeIsReadAndAutoIsTheDefault() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        trunks:
          - { name: plain, uri: "sip:a.example.net" }
          - { name: events, uri: "sip:b.example.net", dtmf: rfc4733 }
          - { name: tones, uri: "sip:c.example.net", dtmf: inband }
          - { name: said, uri: "sip:d.example.net", dtmf: auto }
        """, file: "t.yaml")
        XCTAssertEqual(c.trunks.map(\.name), ["plain", "events", "tones", "said"])
        XCTAssertEqual(c.trunks.map(\.dtmf), [.auto, .rfc4733, .inband, .auto])
    }

    func testAnUnknownModeIsNamedWithItsLineAndKey() {
        let yaml = """
        trunks:
          - name: pstn
            uri: sip:gw.example.net
            dtmf: rfc2833
        """
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: yaml, file: "t.yaml")) { error in
            XCTAssertEqual("\(error)", "t.yaml:4: error: trunks[0].dtmf: expected auto, rfc4733 or inband, got 'rfc2833'")
        }
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "trunks: [{ name: a, uri: 'sip:x', dtmf: [inband] }]",
                                                           file: "t.yaml")) { error in
            XCTAssertTrue("\(error)".contains("trunks[0].dtmf"), "\(error)")
        }
    }

    func testRoutesCarryTheirTrunksMode() throws {
        let selector = try TrunkSelector(configuration: [
            .init(name: "any", uri: "sip:any.example.net", destinations: ["*"]),
            .init(name: "uk", uri: "sip:uk.example.net", destinations: ["44"], dtmf: .rfc4733),
            .init(name: "fr", uri: "sip:fr.example.net", destinations: ["33"], dtmf: .inband),
        ])
        XCTAssertEqual(try selector.route(for: "4930123").dtmf, .auto)
        XCTAssertEqual(try selector.route(for: "44161").dtmf, .rfc4733)
        XCTAssertEqual(try selector.route(for: "33123").dtmf, .inband)
    }

    func testCallsFromATrunksTrustedSourcesTakeItsMode() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        trunks:
          - { name: events, uri: "sip:gw.example.net", dtmf: rfc4733, trusted-sources: [192.0.2.0/24] }
          - { name: tones, uri: "sip:old.example.net", dtmf: inband, trusted-sources: ["2001:db8::/32", 192.0.2.7] }
          - { name: blind, uri: "sip:x.example.net", dtmf: inband }
        """, file: "t.yaml")
        let modes = InboundTrunkDTMF(configuration: c)
        XCTAssertEqual(modes.mode(for: "192.0.2.9"), .rfc4733)
        XCTAssertEqual(modes.mode(for: "192.0.2.7"), .rfc4733, "the first trunk listing the address wins")
        XCTAssertEqual(modes.mode(for: "2001:db8::5"), .inband)
        XCTAssertEqual(modes.mode(for: "198.51.100.1"), .auto, "a call from no trunk")
        XCTAssertEqual(InboundTrunkDTMF.none.mode(for: "192.0.2.9"), .auto)
    }
}
