import Foundation
import XCTest

/// A script dials out through a trunk to sipp playing the PSTN: the caller (sipp) keys a
/// destination by RFC 4733, the B leg rings and answers, audio flows both ways through
/// the bridge (the callee echoes it), `#11` ends the B leg and the script goes on; a
/// busy callee sends the script down its `busy` branch.
final class DialTests: XCTestCase {
    private let number = "4930777"

    func testDialBridgesAudioAndHashElevenEndsTheBLegOnly() throws {
        try bridgedCall(calleeScenario: "dial_callee.xml", calleePayloadType: 0)
    }

    /// The caller speaks µ-law, the callee answers A-law only: the bridge transcodes both ways.
    func testDialTranscodesBetweenMuLawAndALaw() throws {
        try bridgedCall(calleeScenario: "dial_callee_pcma.xml", calleePayloadType: 8)
    }

    private func bridgedCall(calleeScenario: String, calleePayloadType: UInt8) throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let caller = try Sipp(name: "dial-caller")
        let callee = try Sipp(name: "dial-callee")
        try prepareCaller(caller, seed: 11)

        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "dial")
        defer { server.stop() }
        let heardByCaller = try RTPCapture(tshark: tshark, udpPort: callerPorts.media, directory: caller.work)
        let heardByCallee = try RTPCapture(tshark: tshark, udpPort: calleePorts.media, directory: callee.work)

        let calleeRun = Background { try DialTests.runCallee(callee, scenario: calleeScenario, ports: calleePorts) }
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
        XCTAssertEqual(Set(toCallee.map(\.payloadType)).subtracting([101]), [calleePayloadType], "the callee gets its own codec")
        XCTAssertEqual(Set(toCaller.map(\.payloadType)).subtracting([101]), [0], "the caller gets its own codec")
        let toneAtCallee = toCallee.filter { ToneDetector.isTone($0, hertz: 1000) }.count
        XCTAssertGreaterThan(toneAtCallee, 100, "the callee should hear ~4 s of the caller's tone, got \(toneAtCallee) packets")
        let toneAtCaller = toCaller.filter { ToneDetector.isTone($0, hertz: 1000) }.count
        XCTAssertGreaterThan(toneAtCaller, 100, "the caller should hear the callee's audio (its echoed tone), got \(toneAtCaller)")
        XCTAssertEqual(Set(toCaller.filter { $0.payloadType == 0 }.map(\.ssrc)).count, 1,
                       "the caller hears one continuous stream from the server, prompts and bridge alike")
    }

    /// The callee moves its media mid-call with a re-INVITE (RFC 3264 §8): the server
    /// answers it and the bridge sends the caller's audio to the new port from then on.
    func testTheBLegsReInviteMovesWhereTheBridgeSends() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let caller = try Sipp(name: "dial-reinvite-caller")
        let callee = try Sipp(name: "dial-reinvite-callee")
        try prepareCaller(caller, seed: 21)

        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let movedPort = calleePorts.media + 10
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "dial-reinvite")
        defer { server.stop() }
        let heardAtNewPort = try RTPCapture(tshark: tshark, udpPort: movedPort, directory: callee.work)
        let calleeRun = Background {
            // No echo: sipp would echo from the old port, and symmetric RTP would rightly
            // follow packets from there; a phone that moved sends from its new address.
            try DialTests.runCallee(callee, scenario: "dial_callee_moves_media.xml", ports: calleePorts, echo: false,
                                    extraArguments: ["-key", "newport", "\(movedPort)"])
        }
        let result = try caller.run(scenario: "dial_caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 50)
        let calleeResult = try calleeRun.wait(timeout: 60)
        let atNewPort = try heardAtNewPort.stop()
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed:\n\(calleeResult.output)\n\(log)")

        let moved = server.events { $0["message"] == "b-leg re-invite" }
        XCTAssertEqual(moved.map { $0["remote"] ?? "" }, ["127.0.0.1:\(movedPort)"], log)
        XCTAssertTrue(callee.messageTrace().contains("SIP/2.0 200 OK"), "the re-INVITE was answered")
        let toneAtNewPort = atNewPort.filter { ToneDetector.isTone($0, hertz: 1000) }.count
        XCTAssertGreaterThan(toneAtNewPort, 100, "the caller's tone should reach the moved port, got \(toneAtNewPort)\n\(log)")
        XCTAssertEqual(server.events { $0["message"] == "dial ended" }.map { $0["outcome"] ?? "" }, ["ended"], log)
    }

    func testBusyCalleeTakesTheBusyBranch() throws {
        let caller = try Sipp(name: "dial-busy-caller")
        let callee = try Sipp(name: "dial-busy-callee")
        try caller.makeDTMFPcap("\(number)#", named: "dest.pcap", seed: 21)
        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "dial-busy")
        defer { server.stop() }
        let calleeRun = Background { try DialTests.runCallee(callee, scenario: "dial_callee_busy.xml", ports: calleePorts) }
        let result = try caller.run(scenario: "dial_caller_keys_then_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
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

    /// No account is bound to the call (no `authenticate`, no free IVR access): the dial to
    /// a trunk number is refused before any INVITE leaves (nobody would pay for it, issue 11),
    /// the trunk's sipp gets nothing, and the script takes its `failed` branch: the caller
    /// hears "call failed" and is hung up.
    func testAnUnboundCallsDialSendsNoInviteToTheTrunkAndFails() throws {
        let caller = try Sipp(name: "dial-unbound-caller")
        let trunk = try Sipp(name: "dial-unbound-trunk")
        try caller.makeDTMFPcap("\(number)#", named: "dest.pcap", seed: 31)
        let callerPorts = Sipp.ports()
        let trunkPorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.dialer(trunkPort: trunkPorts.sip, name: "dial-unbound", bound: false)
        defer { server.stop() }
        // The trunk waits 15 s for an INVITE that must not come (sipp then ends with an error).
        let trunkRun = Background {
            try ChildProcess.run(trunk.executable, [
                "-sf", "dial_callee_busy.xml", "-i", "127.0.0.1", "-p", "\(trunkPorts.sip)", "-mp", "\(trunkPorts.media)",
                "-m", "1", "-timeout", "15s", "-timeout_error", "-nostdin", "-trace_msg",
            ], in: trunk.work, timeout: 30)
        }
        let result = try caller.run(scenario: "dial_caller_keys_then_bye.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "200", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 40)
        let trunkResult = try trunkRun.wait(timeout: 35)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertNotEqual(trunkResult.status, 0, "the trunk's sipp timed out waiting:\n\(trunkResult.output)")
        XCTAssertFalse(trunk.messageTrace().contains("INVITE"), "no INVITE reached the trunk:\n\(trunk.messageTrace())")
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }
        let refused = server.events { $0["message"] == "dial refused" }
        XCTAssertEqual(refused.map { $0["outcome"] ?? "" }, ["failed"], log)
        XCTAssertEqual(refused.first?["reason"], "no account is bound to the call: the trunk leg is not placed", log)
        XCTAssertTrue(server.events { $0["message"] == "dial" }.isEmpty, "no leg was started\n\(log)")
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["ask-number", "call", "goodbye"], log)
        let prompts = server.events { $0["message"] == "prompt started" }.map { $0["prompts"] ?? "" }
        XCTAssertEqual(prompts.last, "en/call-failed", "the caller hears that the call failed\n\(log)")
        XCTAssertTrue(try OperatorCLI.cdrRows(server.dataDirectory).filter { $0["leg"] == "b" }.isEmpty,
                      "no B leg was recorded: none was placed")
    }

    func testTheForwardIsCutAtItsTimeLimitAfterAWarningTone() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let caller = try Sipp(name: "dial-limit-caller")
        let callee = try Sipp(name: "dial-limit-callee")
        try caller.makeDTMFPcap("\(number)#", named: "dest.pcap", seed: 31)
        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "dial-limit", script: "dial-limited")
        defer { server.stop() }
        let heardByCaller = try RTPCapture(tshark: tshark, udpPort: callerPorts.media, directory: caller.work)
        let calleeRun = Background { try DialTests.runCallee(callee, scenario: "dial_callee.xml", ports: calleePorts) }
        let result = try caller.run(scenario: "dial_caller_keys_then_bye.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "200", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let toCaller = try heardByCaller.stop()
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed (it must get our BYE):\n\(calleeResult.output)\n\(log)")
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }

        let bridged = try XCTUnwrap(server.events { $0["message"] == "bridged" }.first, log)
        let warning = try XCTUnwrap(server.events { $0["message"] == "time limit warning" }.first, log)
        let cut = try XCTUnwrap(server.events { $0["message"] == "time limit reached" }.first, log)
        XCTAssertEqual(warning["seconds-left"], "2")
        let bridgedAt = try XCTUnwrap(ServerProcess.time(of: bridged))
        let warnedAt = try XCTUnwrap(ServerProcess.time(of: warning))
        let cutAt = try XCTUnwrap(ServerProcess.time(of: cut))
        XCTAssertEqual(warnedAt.timeIntervalSince(bridgedAt), 2, accuracy: 0.5)
        XCTAssertEqual(cutAt.timeIntervalSince(bridgedAt), 4, accuracy: 0.5)
        // No credit limit is known to the script, so its own cap ends the forward normally.
        XCTAssertEqual(server.events { $0["message"] == "dial ended" }.map { $0["outcome"] ?? "" }, ["ended"], log)
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["ask-number", "call", "after-call"], log)
        // The caller heard the warning tone (425 Hz beeps).
        let beeps = toCaller.filter { ToneDetector.isTone($0, hertz: 425) }.count
        XCTAssertGreaterThan(beeps, 15, "three 200 ms beeps are about 30 packets of 425 Hz, got \(beeps)")
    }

    func testTheCallersHangupDuringTheForwardEndsTheBLeg() throws {
        let caller = try Sipp(name: "dial-hangup-caller")
        let callee = try Sipp(name: "dial-hangup-callee")
        try caller.makeDTMFPcap("\(number)#", named: "dest.pcap", seed: 51)
        let callerPorts = Sipp.ports()
        let calleePorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "dial-hangup")
        defer { server.stop() }
        let calleeRun = Background { try DialTests.runCallee(callee, scenario: "dial_callee.xml", ports: calleePorts) }
        let result = try caller.run(scenario: "dial_caller_hangs_up.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "200", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee sipp failed (it must get our BYE):\n\(calleeResult.output)\n\(log)")
        try server.waitForEvents(timeout: 5) { $0["message"] == "dial ended" }
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] == "caller" }.count, 1, log)
        XCTAssertTrue(server.events { $0["message"] == "hangup" && $0["by"] == "server" }.isEmpty, "nobody is left to hang up")
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["ask-number", "call"], "the script does not go on without its caller\n\(log)")
    }

    // MARK: - Helpers

    /// What dial_caller.xml plays: the number, `#11`, and 4 s of a 1 kHz tone as PCMU RTP
    /// (the caller's voice, recognisable when it comes back).
    private func prepareCaller(_ caller: Sipp, seed: Int) throws {
        let sox = try Peer.require("sox", package: "sox")
        try caller.makeDTMFPcap("\(number)#", named: "dest.pcap", seed: seed)
        try caller.makeDTMFPcap("#11", named: "end.pcap", seed: seed + 1)
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "4", "sine", "1000",
                                              "vol", "0.5"], in: caller.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        try caller.runPython(["gen_audio_pcap.py", "tone.wav", "-o", "tone.pcap", "--codec", "pcmu", "--seed", "\(seed + 2)"])
    }

    private static func runCallee(_ sipp: Sipp, scenario: String, ports: (sip: Int, media: Int), echo: Bool = true,
                                  extraArguments: [String] = []) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", scenario, "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)",
            "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg", "-trace_logs",
        ] + (echo ? ["-rtp_echo"] : []) + extraArguments, in: sipp.work, timeout: 50)
        let logs = ((try? FileManager.default.contentsOfDirectory(atPath: sipp.work.path)) ?? [])
            .filter { $0.hasSuffix("_logs.log") }
            .compactMap { try? String(contentsOf: sipp.work.appendingPathComponent($0), encoding: .utf8) }
        return ProcessResult(status: result.status, output: result.output + "\n" + logs.joined() + "\n" + sipp.messageTrace())
    }
}
