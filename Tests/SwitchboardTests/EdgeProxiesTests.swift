import Foundation
import SIP
import SIPStack
@testable import Switchboard
import XCTest

/// `sip.edge-proxies` (issue 17): the source `X-Switchback-Source` names is believed from
/// an edge proxy only, as a table of senders and headers.
final class EdgeProxiesTests: XCTestCase {
    let edges = EdgeProxies([SourceNetwork(parsing: "192.0.2.0/29")!, SourceNetwork(parsing: "2001:db8::1")!])

    func request(header: String?) -> SIPRequest {
        var headers = SIPHeaders()
        headers.add("Call-ID", "edge-test")
        if let header { headers.add(EdgeProxies.sourceHeader, header) }
        return SIPRequest(method: .invite, uri: SIPURI(user: "700", host: "switchback.local"), headers: headers)
    }

    func testTheHeaderIsBelievedFromAnEdgeProxyOnly() {
        func udp(_ host: String, _ port: Int) -> SIPDestination { SIPDestination(transport: .udp, host: host, port: port) }
        struct Row {
            var sender: SIPDestination
            var header: String?
            var expected: EdgeProxies.Origin
            var line: UInt
        }
        let rows: [Row] = [
            // From the edge, naming the caller: judged by the caller.
            Row(sender: udp("192.0.2.3", 5060), header: "203.0.113.9:40123",
                expected: .relayed(udp("203.0.113.9", 40123), edge: udp("192.0.2.3", 5060)), line: #line),
            Row(sender: udp("2001:db8::1", 5060), header: "[2001:db8::77]:5062",
                expected: .relayed(udp("2001:db8::77", 5062), edge: udp("2001:db8::1", 5060)), line: #line),
            Row(sender: udp("192.0.2.3", 5060), header: "203.0.113.9",
                expected: .relayed(udp("203.0.113.9", 5060), edge: udp("192.0.2.3", 5060)), line: #line),
            // From the edge without a header (its own OPTIONS probes): the edge itself.
            Row(sender: udp("192.0.2.3", 5060), header: nil, expected: .transport(udp("192.0.2.3", 5060)), line: #line),
            // From the edge, but unreadable (a name, a port out of range): the edge itself.
            Row(sender: udp("192.0.2.3", 5060), header: "phone.example:5060",
                expected: .transport(udp("192.0.2.3", 5060)), line: #line),
            Row(sender: udp("192.0.2.3", 5060), header: "203.0.113.9:70000",
                expected: .transport(udp("192.0.2.3", 5060)), line: #line),
            // Anyone else: the header is a forgery, ignored, the sender judged as it is.
            Row(sender: udp("198.51.100.4", 5060), header: "192.0.2.3:5060",
                expected: .forgedHeaderIgnored(udp("198.51.100.4", 5060), claimed: "192.0.2.3:5060"), line: #line),
            Row(sender: udp("192.0.2.9", 5060), header: "203.0.113.9:5060",
                expected: .forgedHeaderIgnored(udp("192.0.2.9", 5060), claimed: "203.0.113.9:5060"), line: #line),
            Row(sender: udp("198.51.100.4", 5060), header: nil, expected: .transport(udp("198.51.100.4", 5060)), line: #line),
        ]
        for row in rows {
            XCTAssertEqual(edges.origin(of: request(header: row.header), transport: row.sender), row.expected, line: row.line)
        }
        // Without edge proxies configured (the default), every header is ignored.
        XCTAssertEqual(EdgeProxies.none.origin(of: request(header: "203.0.113.9:1"), transport: udp("192.0.2.3", 5060)).source,
                       udp("192.0.2.3", 5060))
    }

    func testTheConfigurationKey() throws {
        XCTAssertEqual(SwitchbackConfiguration.embeddedDefaults().sip.edgeProxies, [], "no edge is trusted out of the box")
        let c = try ConfigurationLoader.parse(yaml: "sip: { edge-proxies: [10.1.0.0/24, \"::1\"] }", file: "c.yaml")
        XCTAssertEqual(c.sip.edgeProxies.map(\.description), ["10.1.0.0/24", "0:0:0:0:0:0:0:1/128"])
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "sip: { edge-proxies: [kamailio.local] }", file: "c.yaml")) {
            XCTAssertTrue("\($0)".contains("sip.edge-proxies") && "\($0)".contains("kamailio.local"), "\($0)")
        }
        XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "sip: { edge-proxies: 10.1.0.1 }", file: "c.yaml")) {
            XCTAssertTrue("\($0)".contains("sip.edge-proxies"), "\($0)")
        }
    }
}
