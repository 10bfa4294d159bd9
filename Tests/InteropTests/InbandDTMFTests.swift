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

    // MARK: - A trunk's dtmf (issue 19)

    /// A gateway trunk (`trusted-sources` = where the caller comes from) with `dtmf: mode`,
    /// serving the menu on 300.
    private func trunkYAML(dtmf mode: String) -> String {
        """
        trunks:
          - { name: gw, uri: "sip:127.0.0.1:9", trusted-sources: [127.0.0.1], dtmf: \(mode) }
        """
    }

    /// `dtmf: rfc4733`: the caller from the trunk offers telephone-event and sends a tone
    /// `2`, then an RFC 4733 `1`. The tone detector never runs, so only the event is a key.
    func testTrunkWithRFC4733TakesEventsAndNotTones() throws {
        let (server, result) = try menuCall(dtmf: "rfc4733", name: "trunk-dtmf-rfc4733")
        defer { server.stop() }
        let log = "server log:\n\(server.rawLog.suffix(5000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] == "server" }
        let digits = server.events { $0["message"] == "dtmf" }
        XCTAssertEqual(digits.map { $0["digit"] ?? "" }, ["1"], "the tone 2 is no key on this trunk\n\(log)")
        XCTAssertEqual(digits.first?["via"], "rfc4733")
        let outcomes = server.events { $0["step"] == "outcome" && $0["node"] == "main-menu" }
        XCTAssertEqual(outcomes.map { $0["outcome"] ?? "" }, ["1"], log)
        XCTAssertEqual(server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" },
                       ["main-menu", "option-one", "goodbye"], log)
    }

    /// `dtmf: auto` (as no `dtmf:`): today's rule, the tone `2` counts because no RFC 4733
    /// event came before it, and it chooses the branch.
    func testTrunkWithAutoTakesTheToneBeforeAnyEvent() throws {
        let (server, result) = try menuCall(dtmf: "auto", name: "trunk-dtmf-auto")
        defer { server.stop() }
        let log = "server log:\n\(server.rawLog.suffix(5000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] == "server" }
        let digits = server.events { $0["message"] == "dtmf" }
        XCTAssertEqual(digits.first?["digit"], "2", log)
        XCTAssertEqual(digits.first?["via"], "inband")
        let outcomes = server.events { $0["step"] == "outcome" && $0["node"] == "main-menu" }
        XCTAssertEqual(outcomes.map { $0["outcome"] ?? "" }, ["2"], log)
        XCTAssertEqual(outcomes.map { $0["next"] ?? "" }, ["option-two"])
    }

    /// `dtmf: rfc4733` and a caller that offers no telephone-event (the old PCMU-only
    /// caller sending tones): no key is heard, the menu times out, and the server says why
    /// once in its log.
    func testTrunkWithRFC4733AndNoTelephoneEventHearsNoKeyAndSaysSo() throws {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/menu.yaml").path
        let (server, result) = try call(service: "300", digits: "2", codec: .pcmu, name: "trunk-dtmf-no-te",
                                        accessNumbersYAML: #"  "300": { campaign: menu }"#,
                                        campaignsYAML: "  menu: { script: \(script) }", extraYAML: trunkYAML(dtmf: "rfc4733"),
                                        timeout: 50)
        defer { server.stop() }
        let log = "server log:\n\(server.rawLog.suffix(5000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertTrue(server.events { $0["message"] == "dtmf" }.isEmpty, "tones are not decoded on this trunk\n\(log)")
        let outcomes = server.events { $0["step"] == "outcome" && $0["node"] == "main-menu" }
        XCTAssertEqual(outcomes.map { $0["outcome"] ?? "" }, ["timeout", "timeout", "timeout", "exhausted"], log)
        let told = server.events { ($0["message"] ?? "").hasPrefix("no telephone-event offered on a dtmf rfc4733 leg") }
        XCTAssertEqual(told.count, 1, log)
        XCTAssertEqual(told.first?["level"], "warning")
        let callIDs = Set(server.events { $0["message"] == "call received" }.compactMap { $0["call-id"] })
        XCTAssertTrue(callIDs.contains(told.first?["call-id"] ?? "-"), "the warning names its call: \(told)\n\(log)")
    }

    /// The menu on 300 called from the trunk (`dtmf: mode`) by a caller offering
    /// telephone-event that sends a tone `2`, then an RFC 4733 `1` two seconds later.
    private func menuCall(dtmf mode: String, name: String) throws -> (ServerProcess, ProcessResult) {
        let python = try Peer.require("python3", package: "python3")
        let sipp = try Sipp(name: name)
        let generator = InteropPaths.fixtures.appendingPathComponent("inband/gen_inband_dtmf_pcap.py").path
        let made = try ChildProcess.run(python, [generator, "2", "--tone-ms", "120", "--gap-ms", "120", "--lead-ms", "200",
                                                 "--tail-ms", "100", "-o", "inband.pcap", "--codec", "pcmu", "--seed", "5"],
                                        in: sipp.work, timeout: 20)
        guard made.status == 0 else { throw ServerProcess.Failure("gen_inband_dtmf_pcap.py failed: \(made.output)") }
        try sipp.makeDTMFPcap("1")
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/menu.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "300": { campaign: menu }"#,
                                       campaignsYAML: "  menu: { script: \(script) }", extraYAML: trunkYAML(dtmf: mode),
                                       name: name)
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "tones-then-rfc4733-caller.xml", target: "127.0.0.1:\(server.udpPort)",
                                  service: "300", mediaPort: ports.media, sipPort: ports.sip,
                                  keys: ["codec_pt": "0", "codec_name": "PCMU"], timeout: 45)
        return (server, result)
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
                      accessNumbersYAML: String = "", campaignsYAML: String = "", extraYAML: String = "",
                      timeout: TimeInterval = 45) throws -> (ServerProcess, ProcessResult) {
        let python = try Peer.require("python3", package: "python3")
        let sipp = try Sipp(name: name)
        let generator = InteropPaths.fixtures.appendingPathComponent("inband/gen_inband_dtmf_pcap.py").path
        let what = digits.isEmpty ? ["--single-tone", "1000", "--tone-ms", "400"] : [digits, "--tone-ms", "120", "--gap-ms", "120"]
        let arguments = [generator] + what + ["-o", "inband.pcap", "--codec", codec.rawValue, "--seed", "5", "--wav", "inband.wav"]
        let made = try ChildProcess.run(python, arguments, in: sipp.work, timeout: 20)
        guard made.status == 0 else { throw ServerProcess.Failure("gen_inband_dtmf_pcap.py failed: \(made.output)") }
        let server = try ServerProcess(accessNumbersYAML: accessNumbersYAML, campaignsYAML: campaignsYAML,
                                       extraYAML: extraYAML, name: name)
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "inband-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: service,
                                  mediaPort: ports.media, sipPort: ports.sip,
                                  keys: ["codec_pt": codec.payloadType, "codec_name": codec.rtpmapName], timeout: timeout)
        return (server, result)
    }
}
