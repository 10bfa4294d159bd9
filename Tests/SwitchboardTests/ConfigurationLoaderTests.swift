import Foundation
import Switchboard
import XCTest

/// The configuration file over embedded defaults: what is given replaces, what is wrong
/// is named with its line and key path.
final class ConfigurationLoaderTests: XCTestCase {
    func testEmbeddedDefaultsAreTheDemoConfiguration() {
        let c = SwitchbackConfiguration.embeddedDefaults()
        XCTAssertEqual(c.sip.listen, ["udp:0.0.0.0:5060", "tcp:0.0.0.0:5060"])
        XCTAssertEqual(c.http.listen, "0.0.0.0:8080")
        XCTAssertEqual(c.media.rtpPorts, 20000...29999)
        XCTAssertEqual(c.accessNumbers["100"]?.campaign, "demo")
        XCTAssertEqual(c.campaigns["demo"]?.script, "scripts/demo.yaml")
        XCTAssertEqual(c.database, "sqlite:data/switchback.sqlite")
        XCTAssertEqual(c.callback.anumberhandling, 3)
    }

    func testFileKeysReplaceDefaultsAndOthersStay() throws {
        let url = try write("""
        sip:
          listen: [udp:127.0.0.1:5080]
        access-numbers:
          "100": { campaign: demo, ring: 1500ms }
          "200": { campaign: demo, ring: 2s }
        """)
        let c = try ConfigurationLoader.load(contentsOf: url)
        XCTAssertEqual(c.sip.listen, ["udp:127.0.0.1:5080"])
        XCTAssertEqual(c.http.listen, "0.0.0.0:8080", "untouched keys keep their defaults")
        XCTAssertEqual(c.accessNumbers["100"]?.ringMilliseconds, 1500)
        XCTAssertEqual(c.accessNumbers["200"]?.ringMilliseconds, 2000)
        XCTAssertEqual(c.campaigns["demo"]?.script, "scripts/demo.yaml")
    }

    func testUnknownKeyIsAnErrorWithItsLine() throws {
        let url = try write("""
        sip:
          listen: [udp:127.0.0.1:5080]
          lisen: [tcp:127.0.0.1:5080]
        """)
        XCTAssertThrowsError(try ConfigurationLoader.load(contentsOf: url)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("\(url.path):3: error: sip.lisen: unknown key"), text)
        }
    }

    func testBadPortRangeAndUnknownCampaignAreNamed() throws {
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "media: { rtp-ports: 9-5 }", file: "c.yaml")) { error in
            XCTAssertTrue("\(error)".contains("media.rtp-ports"), "\(error)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: """
        access-numbers:
          "1": { campaign: nowhere }
        """, file: "c.yaml")) { error in
            XCTAssertEqual("\(error)", "c.yaml: error: access-numbers.1.campaign: unknown campaign 'nowhere'")
        }
    }

    func testBrokenYAMLNamesTheLine() {
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "sip:\n  listen: [udp:1\n", file: "c.yaml")) { error in
            XCTAssertTrue("\(error)".hasPrefix("c.yaml:"), "\(error)")
            XCTAssertTrue("\(error)".contains("invalid YAML"), "\(error)")
        }
    }

    func testBadDurationIsRefused() {
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: """
        campaigns: { demo: { script: x.yaml } }
        access-numbers:
          "1": { campaign: demo, ring: soon }
        """, file: "c.yaml")) { error in
            XCTAssertTrue("\(error)".contains("access-numbers.1.ring: expected a duration"), "\(error)")
        }
    }

    private func write(_ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }
}
