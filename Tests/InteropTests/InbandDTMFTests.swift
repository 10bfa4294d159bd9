import Foundation
import XCTest

/// Digits as tones in the audio, the way an old phone or a PSTN gateway without RFC 4733
/// sends them: sipp offers a single G.711 codec and no telephone-event, then plays a pcap
/// whose RTP carries real DTMF tone pairs (synthesised at test time by
/// Fixtures/inband/gen_inband_dtmf_pcap.py: no RFC 4733 events, no SIP INFO). Only the
/// server's Goertzel detector can find the keys; the script's behaviour proves it did.
final class InbandDTMFTests: XCTestCase {
    /// The demo (100) collects `1234` (terminated by `#`) from µ-law tones and says it back.
    func testDemoCollectsDigitsSentAsTonesInPCMU() throws {
        let (server, result) = try call(service: "100", digits: "1234#", codec: .pcmu, name: "inband-demo")
        defer { server.stop() }
        let log = "server log:\n\(server.rawLog.suffix(5000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        // (sipp itself checked that the answer kept PCMU alone, without telephone-event.)

        let collected = try server.waitForEvents(timeout: 10) { $0["step"] == "digits-collected" }
        XCTAssertEqual(collected.map { $0["value"] ?? "" }, ["1234"], log)
        let digits = server.events { $0["message"] == "dtmf" }
        XCTAssertEqual(digits.map { $0["digit"] ?? "" }.joined(), "1234#", "each tone is one key, none missed or doubled\n\(log)")
        XCTAssertEqual(Set(digits.map { $0["via"] ?? "" }), ["inband"], "only the tone detector could have found them")

        // The script went on with what it detected: it said the digits back, then goodbye.
        try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] == "server" }
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["welcome", "ask-digits", "read-back", "goodbye"], log)
        let prompts = server.events { $0["message"] == "prompt started" }.map { $0["prompts"] ?? "" }
        XCTAssertTrue(prompts.contains { $0.hasPrefix("en/you-entered") }, "the digits were said back: \(prompts)")
    }

    /// The menu takes the branch of an A-law tone `2`, and only that branch.
    func testMenuTakesTheBranchOfAToneInPCMA() throws {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/menu.yaml").path
        let (server, result) = try call(service: "300", digits: "2", codec: .pcma, name: "inband-menu",
                                        accessNumbersYAML: #"  "300": { campaign: menu }"#,
                                        campaignsYAML: "  menu: { script: \(script) }")
        defer { server.stop() }
        let log = "server log:\n\(server.rawLog.suffix(5000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] == "server" }

        let digits = server.events { $0["message"] == "dtmf" }
        XCTAssertEqual(digits.map { $0["digit"] ?? "" }, ["2"], log)
        XCTAssertEqual(digits.first?["via"], "inband")
        let outcomes = server.events { $0["step"] == "outcome" && $0["node"] == "main-menu" }
        XCTAssertEqual(outcomes.map { $0["outcome"] ?? "" }, ["2"], log)
        XCTAssertEqual(outcomes.map { $0["next"] ?? "" }, ["option-two"])
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["main-menu", "option-two", "goodbye"], log)
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] == "server" }.first?["cause"], "normal")
    }

    /// Silence and a lone 1 kHz tone are not keys: the menu times out on every round.
    func testToneThatIsNotDTMFIsNoKey() throws {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/menu.yaml").path
        let (server, result) = try call(service: "300", digits: "", codec: .pcmu, name: "inband-none",
                                        accessNumbersYAML: #"  "300": { campaign: menu }"#,
                                        campaignsYAML: "  menu: { script: \(script) }", timeout: 50)
        defer { server.stop() }
        let log = "server log:\n\(server.rawLog.suffix(5000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertTrue(server.events { $0["message"] == "dtmf" }.isEmpty, "a single tone is no key\n\(log)")
        let outcomes = server.events { $0["step"] == "outcome" && $0["node"] == "main-menu" }
        XCTAssertEqual(outcomes.map { $0["outcome"] ?? "" }, ["timeout", "timeout", "timeout", "exhausted"], log)
    }

    // MARK: - Helpers

    enum Codec: String {
        case pcmu, pcma
        var payloadType: String { self == .pcmu ? "0" : "8" }
        var rtpmapName: String { self == .pcmu ? "PCMU" : "PCMA" }
    }

    /// Makes inband.pcap (the keys as tones; with no keys, a 1 kHz tone of the same length
    /// as a key press, which must not count), starts the server and runs the sipp caller.
    private func call(service: String, digits: String, codec: Codec, name: String,
                      accessNumbersYAML: String = "", campaignsYAML: String = "",
                      timeout: TimeInterval = 45) throws -> (ServerProcess, ProcessResult) {
        let python = try Peer.require("python3", package: "python3")
        let sipp = try Sipp(name: name)
        let generator = InteropPaths.fixtures.appendingPathComponent("inband/gen_inband_dtmf_pcap.py").path
        let what = digits.isEmpty ? ["--single-tone", "1000", "--tone-ms", "400"] : [digits, "--tone-ms", "120", "--gap-ms", "120"]
        let arguments = [generator] + what + ["-o", "inband.pcap", "--codec", codec.rawValue, "--seed", "5", "--wav", "inband.wav"]
        let made = try ChildProcess.run(python, arguments, in: sipp.work, timeout: 20)
        guard made.status == 0 else { throw ServerProcess.Failure("gen_inband_dtmf_pcap.py failed: \(made.output)") }
        let server = try ServerProcess(accessNumbersYAML: accessNumbersYAML, campaignsYAML: campaignsYAML, name: name)
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "inband-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: service,
                                  mediaPort: ports.media, sipPort: ports.sip,
                                  keys: ["codec_pt": codec.payloadType, "codec_name": codec.rtpmapName], timeout: timeout)
        return (server, result)
    }
}
