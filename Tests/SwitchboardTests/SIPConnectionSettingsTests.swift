import XCTest
@testable import Switchboard

/// The `sip:` keys of the TCP connection caps and idle timeout: defaults, values, and
/// errors that name the key.
final class SIPConnectionSettingsTests: XCTestCase {
    func testDefaultsAndValues() throws {
        let defaults = try ConfigurationLoader.parse(yaml: "sip: { domain: example.net }", file: "t.yaml")
        XCTAssertEqual(defaults.sip.tcpMaxConnections, 1024)
        XCTAssertEqual(defaults.sip.tcpMaxConnectionsPerSource, 64)
        XCTAssertEqual(defaults.sip.tcpIdleTimeout, .seconds(60))
        let c = try ConfigurationLoader.parse(yaml: """
        sip: { tcp-max-connections: 300, tcp-max-connections-per-source: 20, tcp-idle-timeout: 2m }
        """, file: "t.yaml")
        XCTAssertEqual(c.sip.tcpMaxConnections, 300)
        XCTAssertEqual(c.sip.tcpMaxConnectionsPerSource, 20)
        XCTAssertEqual(c.sip.tcpIdleTimeout, .seconds(120))
    }

    func testBadValuesNameTheKey() {
        let cases: [(String, String)] = [
            ("sip: { tcp-max-connections: 0 }", "sip.tcp-max-connections: must be between 1 and 1000000, got 0"),
            ("sip: { tcp-max-connections: many }", "sip.tcp-max-connections: expected an integer"),
            ("sip: { tcp-max-connections-per-source: -3 }", "sip.tcp-max-connections-per-source: must be between 1"),
            ("sip: { tcp-max-connections: 10, tcp-max-connections-per-source: 11 }",
             "sip.tcp-max-connections-per-source: 11 exceeds sip.tcp-max-connections (10)"),
            ("sip: { tcp-idle-timeout: 0s }", "sip.tcp-idle-timeout: expected a duration"),
            ("sip: { tcp-idle-timeout: soon }", "sip.tcp-idle-timeout: expected a duration"),
            ("sip: { tcp-max-conections: 10 }", "tcp-max-conections"),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: yaml, file: "bad.yaml"), yaml) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(yaml): \(error)")
            }
        }
    }
}
