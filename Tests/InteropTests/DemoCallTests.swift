import Foundation
import XCTest

/// sipp calls the demo access number (100) through the real server: answered with SDP,
/// the prompt arrives as RTP, digits reach the script exactly, the server hangs up.
final class DemoCallTests: XCTestCase {
    func testDemoOverUDPWithRFC4733Digits() throws {
        try demoCall(transport: "u1", digitsBy: .rfc4733)
    }

    func testDemoOverTCPWithRFC4733Digits() throws {
        try demoCall(transport: "t1", digitsBy: .rfc4733)
    }

    func testDemoOverUDPWithSIPInfoDigits() throws {
        try demoCall(transport: "u1", digitsBy: .sipInfo)
    }

    enum DigitPath { case rfc4733, sipInfo }

    private func demoCall(transport: String, digitsBy path: DigitPath) throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let sipp = try Sipp(name: "demo-\(transport)")
        try sipp.makeDTMFPcap("1234#")
        let server = try ServerProcess(name: "demo")
        defer { server.stop() }
        let ports = Sipp.ports()
        let capture = try RTPCapture(tshark: tshark, udpPort: ports.media, directory: sipp.work)
        let target = "127.0.0.1:\(transport == "t1" ? server.tcpPort : server.udpPort)"
        let scenario = path == .rfc4733 ? "demo_rfc4733.xml" : "demo_info.xml"
        let result = try sipp.run(scenario: scenario, target: target, transport: transport,
                                  mediaPort: ports.media, sipPort: ports.sip)
        let packets = try capture.stop()
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")

        // The script got exactly the digits, each by the path they were sent.
        let collected = try server.waitForEvents(timeout: 5) { $0["step"] == "digits-collected" }
        XCTAssertEqual(collected.map { $0["value"] ?? "" }, ["1234"])
        let digits = server.events { $0["message"] == "dtmf" }
        XCTAssertEqual(digits.map { $0["digit"] ?? "" }.joined(), "1234#")
        let via = path == .rfc4733 ? "rfc4733" : "sip-info"
        XCTAssertEqual(Set(digits.map { $0["via"] ?? "" }), [via])
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] == "server" }.count, 1)
        // Parity: `switchback simulate` with the same keys walks the same nodes.
        try ScriptParity.assertParity(server, [.init(script: "demo", start: "welcome", arguments: ["--digits", "1234#"])])

        // The caller received the prompts as G.711 RTP (PCMU was offered first), with speech in it.
        let fromServer = packets.filter { $0.payloadType == 0 }
        XCTAssertGreaterThan(fromServer.count, 150, "expected several seconds of RTP, got \(fromServer.count) packets")
        XCTAssertTrue(fromServer.allSatisfy { $0.payload.count == 160 }, "20 ms G.711 frames are 160 bytes")
        let voiced = fromServer.filter { AudioEnergy.rms($0) > 300 }.count
        XCTAssertGreaterThan(voiced, 50, "the prompts should carry speech, not silence")
        XCTAssertEqual(Set(fromServer.map(\.ssrc)).count, 1, "one RTP stream")
    }

    /// A campaign in German (`language: de`) on the English demo script: the caller hears
    /// the German prompts, and the digits said back in German.
    func testACampaignLanguageOverridesTheScripts() throws {
        let sipp = try Sipp(name: "demo-de")
        try sipp.makeDTMFPcap("42#")
        let demo = InteropPaths.packageRoot.appendingPathComponent("scripts/demo.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "102": { campaign: demo-de }"#,
                                       campaignsYAML: "  demo-de: { script: \(demo), language: de }", name: "demo-de")
        defer { server.stop() }
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "demo_rfc4733.xml", target: "127.0.0.1:\(server.udpPort)", service: "102",
                                  mediaPort: ports.media, sipPort: ports.sip)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        let prompts = server.events { $0["step"] == "prompt-requested" }.map { $0["prompts"] ?? "" }
        XCTAssertEqual(prompts.first, "de/welcome", "\(prompts)")
        XCTAssertTrue(prompts.contains("de/you-entered de/number-4 de/number-2"), "said back in German: \(prompts)")
    }

    /// CANCEL while the access number rings: 200 for the CANCEL, 487 for the INVITE.
    func testCancelBeforeAnswerGets487() throws {
        let sipp = try Sipp(name: "cancel")
        let server = try ServerProcess(accessNumbersYAML: #"  "101": { campaign: demo, ring: 5s }"#, name: "cancel")
        defer { server.stop() }
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "cancel.xml", target: "127.0.0.1:\(server.udpPort)", service: "101",
                                  mediaPort: ports.media, sipPort: ports.sip, timeout: 30)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["cause"] == "cancelled" }
        XCTAssertTrue(server.events { $0["message"] == "answered" }.isEmpty, "a cancelled call is never answered")
    }
}
