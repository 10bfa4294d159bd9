import Foundation
import XCTest

/// Forward and fork against real peers (issue 5): a script dials a user's login; the user's
/// port is its registered phone (baresip, registered by Digest); its forward number sits
/// behind a trunk played by sipp. Not registered → the forward number; registered but not
/// answering → the forward number after the account's `--forward-after`; fork → both ring,
/// the first answer wins and the other is CANCELled (487). While the B leg rings, the
/// caller hears ring-back: the callee's early media when it sends some, else our tone.
final class ForwardTests: XCTestCase {
    private let user = "5001"
    private let password = "phone-pass-5001"
    private let forwardNumber = "4930777"

    /// baresip answers at once: the call stays on the user's phone, the forward number
    /// never rings, and the caller's audio reaches the phone through the bridge.
    func testARegisteredPhoneThatAnswersKeepsTheCall() throws {
        let sox = try Peer.require("sox", package: "sox")
        let caller = try Sipp(name: "forward-answer-caller")
        let callerPorts = Sipp.ports()
        // The forward number's trunk points where nothing listens: ringing it would fail the call.
        let server = try ServerProcess.dialer(trunkPort: 9, name: "forward-answer")
        defer { server.stop() }
        try addUser(server, mode: "no-answer", after: 5)
        let records = try InteropPaths.temporaryDirectory("forward-answer-records")
        let phone = startPhone(server, seconds: 22, autoAnswer: true, records: records)
        try server.waitForEvents(timeout: 10) { $0["message"] == "registered" && $0["aor"] == "sip:\(user)@switchback.local" }

        try caller.makeDTMFPcap("\(user)#", named: "dest.pcap", seed: 61)
        try caller.makeDTMFPcap("#11", named: "end.pcap", seed: 62)
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "4", "sine", "1000",
                                              "vol", "0.5"], in: caller.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        try caller.runPython(["gen_audio_pcap.py", "tone.wav", "-o", "tone.pcap", "--codec", "pcmu", "--seed", "63"])
        let result = try caller.run(scenario: "dial_caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 50)
        let phoneOutput = try phone.wait(timeout: 40).output
        let log = "server log:\n\(server.rawLog.suffix(6000))\nbaresip:\n\(phoneOutput.suffix(2000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }

        let dial = try XCTUnwrap(server.events { $0["message"] == "dial" }.first, log)
        XCTAssertEqual(dial["trunk"], "registered-contact", log)
        XCTAssertEqual(dial["forward-mode"], "no-answer")
        XCTAssertEqual(server.events { $0["message"] == "dialing" }.map { $0["trunk"] ?? "" }, ["registered-contact"],
                       "the forward number never rang\n\(log)")
        XCTAssertEqual(server.events { $0["message"] == "forward answered" }.map { $0["trunk"] ?? "" }, ["registered-contact"], log)
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        XCTAssertEqual(server.events { $0["message"] == "dial ended" }.map { $0["outcome"] ?? "" }, ["ended"], log)
        let heard = try FileManager.default.contentsOfDirectory(atPath: records.path).filter { $0.hasSuffix("-dec.wav") }
        XCTAssertEqual(heard.count, 1, "expected one dump-*-dec.wav, found \(heard)")
        if let file = heard.first {
            let wav = try WAVFile.read(records.appendingPathComponent(file))
            XCTAssertGreaterThan(wav.rms, 1000, "the phone should hear the caller's 1 kHz tone")
        }
    }

    /// Nobody registered as the user: the call goes straight to the forward number.
    func testAnUnregisteredUserIsForwardedToItsNumber() throws {
        let caller = try Sipp(name: "forward-unregistered-caller")
        let callee = try Sipp(name: "forward-unregistered-callee")
        try caller.makeDTMFPcap("\(user)#", named: "dest.pcap", seed: 71)
        let (callerPorts, calleePorts) = Self.portPair()
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "forward-unregistered")
        defer { server.stop() }
        try addUser(server, mode: "no-answer", after: 20)

        let calleeRun = Background { try ForwardTests.runCallee(callee, ringMilliseconds: 500, ports: calleePorts) }
        let result = try caller.run(scenario: "forward-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip,
                                    extraArguments: ["-d", "4000"], timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "forward callee failed:\n\(calleeResult.output)\n\(log)")
        XCTAssertTrue(callee.messageTrace().contains("INVITE sip:\(forwardNumber)@"), "the trunk got the forward number")
        // Caller-ID forwarding (the campaign's default): the forward number sees the real caller.
        XCTAssertTrue(callee.messageTrace().contains("From: <sip:5551234@switchback.local>"), callee.messageTrace())
        try server.waitForEvents(timeout: 5) { $0["message"] == "dial ended" }

        let dial = try XCTUnwrap(server.events { $0["message"] == "dial" }.first, log)
        XCTAssertEqual(dial["trunk"], "pstn", log)
        XCTAssertEqual(dial["groups"], "1")
        XCTAssertEqual(server.events { $0["message"] == "dialing" }.map { $0["trunk"] ?? "" }, ["pstn"], log)
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
    }

    /// baresip rings and nobody picks up: after the account's 3 s its INVITE is CANCELled
    /// (baresip answers 487) and the forward number rings and answers.
    func testAPhoneThatDoesNotAnswerFallsBackToTheForwardNumber() throws {
        let (server, callee, log) = try callWhileThePhoneRings(name: "forward-noanswer", seed: 81,
                                                               mode: "no-answer", after: 3, phoneSeconds: 20,
                                                               forwardRingMilliseconds: 500, callerHoldMilliseconds: 8000)
        defer { server.stop() }

        let dialing = server.events { $0["message"] == "dialing" }
        XCTAssertEqual(dialing.map { $0["trunk"] ?? "" }, ["registered-contact", "pstn"], log)
        let groups = server.events { $0["message"] == "forward group ended" }
        XCTAssertEqual(groups.first?["outcome"], "no-answer", log)
        // The phone's INVITE was cancelled by the ring time-out and baresip said 487.
        let phoneEnded = server.events { $0["message"] == "outbound call ended" && $0["call-id"] == dialing.first?["b-call-id"] }
        XCTAssertEqual(phoneEnded.first?["outcome"], "no-answer", log)
        XCTAssertEqual(phoneEnded.first?["status"], "487", log)
        if dialing.count == 2, let first = ServerProcess.time(of: dialing[0]),
           let second = ServerProcess.time(of: dialing[1]) {
            XCTAssertEqual(second.timeIntervalSince(first), 3, accuracy: 1.0, "the forward rang after --forward-after 3")
        }
        XCTAssertEqual(server.events { $0["message"] == "forward answered" }.map { $0["trunk"] ?? "" }, ["pstn"], log)
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        XCTAssertTrue(callee.messageTrace().contains("INVITE sip:\(forwardNumber)@"))
    }

    /// Fork: baresip and the forward number ring at once; the forward number answers after
    /// 2 s, so baresip's INVITE is CANCELled and it answers 487.
    func testForkRingsBothAndCancelsTheLoser() throws {
        let (server, callee, log) = try callWhileThePhoneRings(name: "forward-fork", seed: 91,
                                                               mode: "fork", after: 20, phoneSeconds: 18,
                                                               forwardRingMilliseconds: 2000, callerHoldMilliseconds: 6000)
        defer { server.stop() }

        XCTAssertEqual(server.events { $0["message"] == "forward group" }.count, 1, "one group: both at once\n\(log)")
        let dialing = server.events { $0["message"] == "dialing" }
        XCTAssertEqual(Set(dialing.map { $0["trunk"] ?? "" }), ["registered-contact", "pstn"], log)
        if dialing.count == 2, let first = ServerProcess.time(of: dialing[0]),
           let second = ServerProcess.time(of: dialing[1]) {
            XCTAssertEqual(abs(second.timeIntervalSince(first)), 0, accuracy: 0.5, "both rang at once")
        }
        XCTAssertEqual(server.events { $0["message"] == "forward answered" }.map { $0["trunk"] ?? "" }, ["pstn"], log)
        let phoneCallID = dialing.first { $0["trunk"] == "registered-contact" }?["b-call-id"]
        XCTAssertEqual(server.events { $0["message"] == "forward loser cancelled" }.map { $0["b-call-id"] ?? "" },
                       [phoneCallID ?? "?"], log)
        let phoneEnded = server.events { $0["message"] == "outbound call ended" && $0["call-id"] == phoneCallID }
        XCTAssertEqual(phoneEnded.first?["outcome"], "cancelled", log)
        XCTAssertEqual(phoneEnded.first?["status"], "487", "baresip answered our CANCEL with 487\n\(log)")
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        // One CDR per leg tried: the cancelled phone and the forward number that answered.
        let cdrs = try ConferenceTests.bLegCDRs(server, count: 2)
        let byDisposition = Dictionary(cdrs.map { ($0["disposition"] ?? "", $0) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(Set(byDisposition.keys), ["cancelled", "answered"], "\(cdrs)")
        XCTAssertEqual(byDisposition["cancelled"]?["to"], user, "\(cdrs)")
        XCTAssertEqual(byDisposition["cancelled"]?["sip_cause"], "487", "\(cdrs)")
        XCTAssertEqual(byDisposition["answered"]?["to"], forwardNumber, "\(cdrs)")
        XCTAssertEqual(try ResourceCeilingTests.portsInUseSettle(server), 0, "the loser and the winner gave their RTP ports back")
    }

    /// The B leg rings for 3 s before answering, with no early media: the caller hears our
    /// ring-back tone (425 Hz) meanwhile.
    func testTheCallerHearsRingbackWhileTheBLegRings() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let caller = try Sipp(name: "forward-ringback-caller")
        let callee = try Sipp(name: "forward-ringback-callee")
        try caller.makeDTMFPcap("\(forwardNumber)#", named: "dest.pcap", seed: 101)
        let (callerPorts, calleePorts) = Self.portPair()
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "forward-ringback",
                                       campaignSettings: #", caller-id: "49891234""#)
        defer { server.stop() }
        let heard = try RTPCapture(tshark: tshark, udpPort: callerPorts.media, directory: caller.work)
        let calleeRun = Background { try ForwardTests.runCallee(callee, ringMilliseconds: 3000, ports: calleePorts) }
        let result = try caller.run(scenario: "forward-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip,
                                    extraArguments: ["-d", "6000"], timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let packets = try heard.stop()
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee failed:\n\(calleeResult.output)\n\(log)")
        XCTAssertEqual(server.events { $0["message"] == "ringback" }.count, 1, log)
        // The campaign's presented number wins over the caller's own.
        XCTAssertTrue(callee.messageTrace().contains("From: <sip:49891234@switchback.local>"), callee.messageTrace())
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        // 3 s of ringing at 1 s on / 4 s off: at least the first second of tone, ~50 packets.
        let ringing = packets.filter { ToneDetector.isTone($0, hertz: 425) }.count
        XCTAssertGreaterThan(ringing, 30, "the caller should hear 425 Hz ring-back, got \(ringing) packets")
        XCTAssertEqual(Set(packets.filter { $0.payloadType == 0 }.map(\.ssrc)).count, 1,
                       "prompts, ring-back and bridge are one continuous stream")
    }

    /// The B side sends 183 with SDP and plays an announcement (a 1 kHz tone): the caller
    /// hears that early media, relayed, instead of our tone.
    func testEarlyMediaIsRelayedToTheCaller() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let sox = try Peer.require("sox", package: "sox")
        let caller = try Sipp(name: "forward-early-caller")
        let callee = try Sipp(name: "forward-early-callee")
        try caller.makeDTMFPcap("\(forwardNumber)#", named: "dest.pcap", seed: 111)
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "2", "sine", "1000",
                                              "vol", "0.5"], in: callee.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        try callee.runPython(["gen_audio_pcap.py", "tone.wav", "-o", "tone.pcap", "--codec", "pcmu", "--seed", "112"])
        let (callerPorts, calleePorts) = Self.portPair()
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: "forward-early")
        defer { server.stop() }
        let heard = try RTPCapture(tshark: tshark, udpPort: callerPorts.media, directory: caller.work)
        let calleeRun = Background {
            // No -rtp_echo: the announcement is the one stream the callee sends, as a network would.
            try ForwardTests.runCallee(callee, ringMilliseconds: 3000, ports: calleePorts, scenario: "forward-callee-early-media.xml",
                                       echo: false)
        }
        let result = try caller.run(scenario: "forward-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip,
                                    extraArguments: ["-d", "6000"], timeout: 40)
        let calleeResult = try calleeRun.wait(timeout: 45)
        let packets = try heard.stop()
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(calleeResult.status, 0, "callee failed:\n\(calleeResult.output)\n\(log)")
        XCTAssertEqual(server.events { $0["message"] == "early media" }.count, 1, log)
        XCTAssertTrue(server.events { $0["message"] == "ringback" }.isEmpty, "no tone of ours over the callee's own\n\(log)")
        let announcement = packets.filter { ToneDetector.isTone($0, hertz: 1000) }.count
        XCTAssertGreaterThan(announcement, 50, "the caller should hear the 2 s early-media tone, got \(announcement) packets\n\(log)")
        XCTAssertEqual(packets.filter { ToneDetector.isTone($0, hertz: 425) }.count, 0)
    }

    // MARK: - Helpers

    private static func portPair() -> (caller: (sip: Int, media: Int), callee: (sip: Int, media: Int)) {
        let caller = Sipp.ports()
        return (caller, (sip: caller.sip + 1000, media: caller.media + 2000))
    }

    /// A caller dials the user (sipp, `-d callerHoldMilliseconds`) while baresip is registered
    /// as the user and does not answer; the forward number (sipp, answering after
    /// `forwardRingMilliseconds`) rings as the account's forward `mode` and `after` say.
    /// Asserts both sipps succeeded, waits for "dial ended"; returns the running server
    /// (stopped by the caller), the forward callee and the logs for failure messages.
    private func callWhileThePhoneRings(name: String, seed: Int, mode: String, after seconds: Int,
                                        phoneSeconds: Int, forwardRingMilliseconds: Int, callerHoldMilliseconds: Int,
                                        file: StaticString = #filePath, line: UInt = #line)
        throws -> (server: ServerProcess, callee: Sipp, log: String) {
        let caller = try Sipp(name: "\(name)-caller")
        let callee = try Sipp(name: "\(name)-callee")
        try caller.makeDTMFPcap("\(user)#", named: "dest.pcap", seed: seed)
        let (callerPorts, calleePorts) = Self.portPair()
        let server = try ServerProcess.dialer(trunkPort: calleePorts.sip, name: name)
        do {
            try addUser(server, mode: mode, after: seconds)
            let phone = startPhone(server, seconds: phoneSeconds, autoAnswer: false, records: nil)
            try server.waitForEvents(timeout: 10) { $0["message"] == "registered" && $0["aor"] == "sip:\(user)@switchback.local" }

            let calleeRun = Background {
                try ForwardTests.runCallee(callee, ringMilliseconds: forwardRingMilliseconds, ports: calleePorts)
            }
            let result = try caller.run(scenario: "forward-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                        mediaPort: callerPorts.media, sipPort: callerPorts.sip,
                                        extraArguments: ["-d", "\(callerHoldMilliseconds)"], timeout: 40)
            let calleeResult = try calleeRun.wait(timeout: 45)
            let phoneOutput = try phone.wait(timeout: 40).output
            let log = "server log:\n\(server.rawLog.suffix(8000))\nbaresip:\n\(phoneOutput.suffix(2000))"
            XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)", file: file, line: line)
            XCTAssertEqual(calleeResult.status, 0, "forward callee failed:\n\(calleeResult.output)\n\(log)",
                           file: file, line: line)
            try server.waitForEvents(timeout: 5) { $0["message"] == "dial ended" }
            return (server, callee, log)
        } catch {
            server.stop()
            throw error
        }
    }

    /// `switchback accounts add` for the user, with its forward number and mode.
    private func addUser(_ server: ServerProcess, mode: String, after seconds: Int) throws {
        let add = try ChildProcess.run(InteropPaths.binary.path, [
            "accounts", "add", user, "--password", password, "--balance", "1", "--forward", forwardNumber,
            "--forward-mode", mode, "--forward-after", "\(seconds)", "--data-dir", server.dataDirectory.path,
        ], timeout: 30)
        XCTAssertEqual(add.status, 0, add.output)
    }

    /// baresip registered as the user; rings without answering unless `autoAnswer`.
    private func startPhone(_ server: ServerProcess, seconds: Int, autoAnswer: Bool, records: URL?) -> Background {
        let user = self.user, password = self.password, port = server.udpPort
        return Background {
            let output = try BaresipRegistrationTests.runBaresip(
                user: user, password: password, serverPort: port, seconds: seconds,
                extraAccountParameters: autoAnswer ? ";answermode=auto" : ";answermode=manual", recordDirectory: records)
            return ProcessResult(status: 0, output: output)
        }
    }

    private static func runCallee(_ sipp: Sipp, ringMilliseconds: Int, ports: (sip: Int, media: Int),
                                  scenario: String = "forward-callee.xml", echo: Bool = true) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", scenario, "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)",
            "-d", "\(ringMilliseconds)", "-m", "1", "-timeout", "40s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
        ] + (echo ? ["-rtp_echo"] : []), in: sipp.work, timeout: 50)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }
}
