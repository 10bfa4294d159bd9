import Foundation
import XCTest

/// The media of an INVITE the server answers, on the wire: RTP goes to the offer's
/// address only once the ACK confirmed the caller (RFC 3261 §13.3: until then the 200
/// may never have reached anyone), then the script's audio flows.
final class InboundMediaTests: XCTestCase {
    func testNoRTPIsSentBeforeTheACK() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let sipp = try Sipp(name: "late-ack")
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/goodbye.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "300": { campaign: goodbye }"#,
                                       campaignsYAML: "  goodbye: { script: \(script) }", name: "late-ack")
        defer { server.stop() }
        let ports = Sipp.ports()
        let capture = try RTPCapture(tshark: tshark, udpPort: ports.media, directory: sipp.work)
        let invited = Date()
        let result = try sipp.run(scenario: "late_ack_until_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "300",
                                  mediaPort: ports.media, sipPort: ports.sip, timeout: 30)
        let packets = try capture.stop()
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        let answered = try XCTUnwrap(server.events { $0["message"] == "answered" }.first, server.rawLog)
        XCTAssertNotNil(answered)
        let first = try XCTUnwrap(packets.first, "the goodbye prompt was sent after the ACK")
        // sipp waits 2 s between the 200 and its ACK; the 200 follows the INVITE at once.
        let delay = first.captured - invited.timeIntervalSince1970
        XCTAssertGreaterThan(delay, 1.8, "the first RTP packet came \(delay) s after the INVITE: before the ACK")
        XCTAssertGreaterThan(packets.count, 10, "the prompt's audio flowed after the ACK")
    }
}
