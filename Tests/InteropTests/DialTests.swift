import Foundation
import XCTest

/// A script dials out through a trunk to sipp playing the PSTN: the caller (sipp) keys a
/// destination by RFC 4733, the B leg rings and answers, audio flows both ways through
/// the bridge (the callee echoes it), `#11` ends the B leg and the script goes on; a
/// busy callee sends the script down its `busy` branch.
final class DialTests: XCTestCase {
    private let number = "4930777"

    func testDialBridgesAudioAndHashElevenEndsTheBLegOnly() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let sox = try Peer.require("sox", package: "sox")
        let caller = try Sipp(name: "dial-caller")
        let callee = try Sipp(name: "dial-callee")
        try makeDTMFPcap("\(number)#", named: "dest.pcap", in: caller, seed: 11)
        try makeDTMFPcap("#11", named: "end.pcap", in: caller, seed: 12)
        // 4 s of a 1 kHz tone as PCMU RTP: the caller's voice, recognisable when it comes back.
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "4", "sine", "1000",
                                              "vol", "0.5"], in: caller.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        try python(["gen_audio_pcap.py", "tone.wav", "-o", "tone.pcap", "--codec", "pcmu", "--seed", "13"], in: caller)

        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try dialServer(trunkPort: calleePorts.sip, name: "dial")
        defer { server.stop() }
        let heardByCaller = try RTPCapture(tshark: tshark, udpPort: callerPorts.media, directory: caller.work)
        let heardByCallee = try RTPCapture(tshark: tshark, udpPort: calleePorts.media, directory: callee.work)

        let calleeRun = Background { try DialTests.runCallee(callee, scenario: "dial_callee.xml", ports: calleePorts) }
        let result = try caller.run(scenario: "dial_caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 50)
        let calleeResult = try calleeRun.wait(timeout: 60)
        let toCaller = try heardByCaller.stop()
        let toCallee = try heardByCallee.stop()
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed:\n\(calleeResult.output)\n\(log)")
        XCTAssertTrue(callee.messageTrace().contains("INVITE sip:\(number)@"),
                      "the trunk got the dialled number in the Request-URI\n\(calleeResult.output)")

        // The script collected the number, dialled it through the trunk, was bridged; #11 ended B only.
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertEqual(server.events { $0["step"] == "digits-collected" }.map { $0["value"] ?? "" }, [number])
        XCTAssertEqual(server.events { $0["message"] == "dial" }.map { $0["trunk"] ?? "" }, ["pstn"], log)
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        XCTAssertEqual(server.events { $0["message"] == "in-call key" }.map { $0["keys"] ?? "" }, ["#11"], log)
        let ended = server.events { $0["message"] == "dial ended" }
        XCTAssertEqual(ended.map { $0["outcome"] ?? "" }, ["ended"], log)
        XCTAssertEqual(ended.first?["by"], "local")
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["ask-number", "call", "after-call"], log)
        let prompts = server.events { $0["message"] == "prompt started" }.map { $0["prompts"] ?? "" }
        XCTAssertEqual(prompts.last, "en/goodbye", "the script went on after #11 and said goodbye")
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] == "server" }.count, 1,
                       "the A leg stayed up after #11 until the script hung up")

        // Audio both ways: the callee received the caller's tone through the bridge, and the
        // caller received it back (the callee echoes), i.e. the B side's audio reached A.
        let toneAtCallee = toCallee.filter { ToneDetector.isTone($0, hertz: 1000) }.count
        XCTAssertGreaterThan(toneAtCallee, 100, "the callee should hear ~4 s of the caller's tone, got \(toneAtCallee) packets")
        let toneAtCaller = toCaller.filter { ToneDetector.isTone($0, hertz: 1000) }.count
        XCTAssertGreaterThan(toneAtCaller, 100, "the caller should hear the callee's audio (its echoed tone), got \(toneAtCaller)")
        XCTAssertEqual(Set(toCaller.filter { $0.payloadType == 0 }.map(\.ssrc)).count, 1,
                       "the caller hears one continuous stream from the server, prompts and bridge alike")
    }

    func testBusyCalleeTakesTheBusyBranch() throws {
        let caller = try Sipp(name: "dial-busy-caller")
        let callee = try Sipp(name: "dial-busy-callee")
        try makeDTMFPcap("\(number)#", named: "dest.pcap", in: caller, seed: 21)
        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try dialServer(trunkPort: calleePorts.sip, name: "dial-busy")
        defer { server.stop() }
        let calleeRun = Background { try DialTests.runCallee(callee, scenario: "dial_callee_busy.xml", ports: calleePorts) }
        let result = try caller.run(scenario: "dial_caller_busy.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed:\n\(calleeResult.output)\n\(log)")
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }
        let ended = server.events { $0["message"] == "dial ended" }
        XCTAssertEqual(ended.map { $0["outcome"] ?? "" }, ["busy"], log)
        XCTAssertEqual(ended.first?["status"], "486")
        XCTAssertTrue(server.events { $0["message"] == "bridged" }.isEmpty)
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["ask-number", "call", "busy"], log)
        let prompts = server.events { $0["message"] == "prompt started" }.map { $0["prompts"] ?? "" }
        XCTAssertEqual(prompts.last, "en/callee-busy")
    }

    // MARK: - Helpers

    private func dialServer(trunkPort: Int, name: String) throws -> ServerProcess {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/dial.yaml").path
        return try ServerProcess(accessNumbersYAML: #"  "200": { campaign: dialer }"#,
                                 campaignsYAML: "  dialer: { script: \(script) }",
                                 extraYAML: """
                                 trunks:
                                   - name: pstn
                                     uri: sip:127.0.0.1:\(trunkPort)
                                     destinations: ["49"]
                                   - name: elsewhere
                                     uri: sip:127.0.0.1:9
                                     destinations: ["*"]
                                 """, name: name)
    }

    private static func runCallee(_ sipp: Sipp, scenario: String, ports: (sip: Int, media: Int)) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", scenario, "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)", "-rtp_echo",
            "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg", "-trace_logs",
        ], in: sipp.work, timeout: 50)
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: sipp.work.path)) ?? [])
            .filter { $0.hasSuffix("_logs.log") }
            .compactMap { try? String(contentsOf: sipp.work.appendingPathComponent($0), encoding: .utf8) }
        return ProcessResult(status: result.status, output: result.output + "\n" + logs.joined() + "\n" + sipp.messageTrace())
    }

    private func makeDTMFPcap(_ digits: String, named name: String, in sipp: Sipp, seed: Int) throws {
        try python(["gen_dtmf_pcap.py", digits, "-o", name, "--pt", "101", "--seed", "\(seed)", "--gap-ms", "200"], in: sipp)
    }

    private func python(_ arguments: [String], in sipp: Sipp) throws {
        let python = try Peer.require("python3", package: "python3")
        let result = try ChildProcess.run(python, arguments, in: sipp.work, timeout: 20)
        guard result.status == 0 else { throw ServerProcess.Failure("\(arguments.first ?? "") failed: \(result.output)") }
    }
}

/// Runs a blocking peer on another thread while the test drives the other side.
private final class Background: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<ProcessResult, any Error>?

    init(_ body: @escaping @Sendable () throws -> ProcessResult) {
        Thread.detachNewThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }

    func wait(timeout: TimeInterval) throws -> ProcessResult {
        guard done.wait(timeout: .now() + timeout) == .success, let result else {
            throw ServerProcess.Failure("background peer did not finish within \(timeout) s")
        }
        return try result.get()
    }
}

/// Tells a steady tone from speech and silence: the Goertzel power at `hertz` against the
/// packet's whole power (a pure tone puts nearly all of it in one bin).
enum ToneDetector {
    static func isTone(_ packet: RTPCapture.Packet, hertz: Double) -> Bool {
        guard packet.payloadType == 0 || packet.payloadType == 8, packet.payload.count >= 80 else { return false }
        let samples = packet.payload.map { Double(AudioEnergy.decode($0, payloadType: packet.payloadType)) }
        let total = samples.reduce(0) { $0 + $1 * $1 }
        guard total / Double(samples.count) > 500 * 500 else { return false }   // not silence
        let coefficient = 2 * cos(2 * Double.pi * hertz / 8000)
        var s1 = 0.0, s2 = 0.0
        for sample in samples {
            let s0 = sample + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        // For a pure sine, power ≈ N/2 · total; speech spreads over many bins.
        return power > 0.25 * Double(samples.count) * total
    }
}
