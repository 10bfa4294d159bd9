import Foundation
import XCTest

/// baresip registers with the real server by Digest against an account's stored HA1
/// (created with `switchback accounts add`): challenged, then bound; a wrong password
/// is refused; quitting un-REGISTERs.
final class BaresipRegistrationTests: XCTestCase {
    func testBaresipRegistersWithDigestAndUnregistersOnQuit() throws {
        _ = try Peer.require("baresip", package: "baresip-core")
        let server = try ServerProcess(name: "registrar")
        defer { server.stop() }
        let add = try ChildProcess.run(InteropPaths.binary.path, [
            "accounts", "add", "alice", "--password", "s3cret-pass", "--balance", "1",
            "--data-dir", server.directory.appendingPathComponent("data").path,
        ], timeout: 30)
        XCTAssertEqual(add.status, 0, add.output)

        let good = try Self.runBaresip(user: "alice", password: "s3cret-pass", serverPort: server.udpPort, seconds: 4)
        let registered = try server.waitForEvents(timeout: 10) { $0["message"] == "registered" }
        XCTAssertEqual(registered.first?["aor"], "sip:alice@switchback.local", server.rawLog.suffix(3000).description)
        XCTAssertTrue(registered.first?["contacts"]?.contains("127.0.0.1") ?? false)
        try server.waitForEvents(timeout: 10) { $0["message"] == "unregistered" && $0["aor"] == "sip:alice@switchback.local" }
        XCTAssertTrue(server.events { $0["message"] == "register refused" }.isEmpty, "baresip:\n\(good.suffix(3000))")

        _ = try Self.runBaresip(user: "alice", password: "wrong", serverPort: server.udpPort, seconds: 3)
        let refused = try server.waitForEvents(timeout: 10) { $0["message"] == "register refused" }
        XCTAssertEqual(refused.first?["status"], "403")
        XCTAssertEqual(server.events { $0["message"] == "registered" }.count, 1, "the wrong password bound nothing")
    }

    /// A script dials a number that is a registered user's login: the call goes to the
    /// user's phone (baresip, answering automatically), not to a trunk; the caller's audio
    /// reaches the phone through the bridge; `#11` hangs the phone up and the script goes on.
    func testADialToARegisteredUserRingsItsPhone() throws {
        _ = try Peer.require("baresip", package: "baresip-core")
        let sox = try Peer.require("sox", package: "sox")
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/dial.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "200": { campaign: dialer }"#,
                                       campaignsYAML: "  dialer: { script: \(script) }",
                                       extraYAML: "trunks: [{ name: nowhere, uri: 'sip:127.0.0.1:9', destinations: ['*'] }]",
                                       name: "registered-dial")
        defer { server.stop() }
        let add = try ChildProcess.run(InteropPaths.binary.path, [
            "accounts", "add", "5001", "--password", "phone-pass-1", "--balance", "1",
            "--data-dir", server.directory.appendingPathComponent("data").path,
        ], timeout: 30)
        XCTAssertEqual(add.status, 0, add.output)

        let records = try InteropPaths.temporaryDirectory("registered-dial-records")
        let serverPort = server.udpPort
        let baresip = Background {
            let output = try BaresipRegistrationTests.runBaresip(user: "5001", password: "phone-pass-1", serverPort: serverPort,
                                                                 seconds: 22, extraAccountParameters: ";answermode=auto",
                                                                 recordDirectory: records)
            return ProcessResult(status: 0, output: output)
        }
        try server.waitForEvents(timeout: 10) { $0["message"] == "registered" && $0["aor"] == "sip:5001@switchback.local" }

        let caller = try Sipp(name: "registered-dial-caller")
        for (digits, name, seed) in [("5001#", "dest.pcap", 41), ("#11", "end.pcap", 42)] {
            let python = try Peer.require("python3", package: "python3")
            let made = try ChildProcess.run(python, ["gen_dtmf_pcap.py", digits, "-o", name, "--pt", "101", "--seed", "\(seed)",
                                                     "--gap-ms", "200"], in: caller.work, timeout: 20)
            XCTAssertEqual(made.status, 0, made.output)
        }
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "4", "sine", "1000",
                                              "vol", "0.5"], in: caller.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        let python = try Peer.require("python3", package: "python3")
        let pcap = try ChildProcess.run(python, ["gen_audio_pcap.py", "tone.wav", "-o", "tone.pcap", "--codec", "pcmu", "--seed", "43"],
                                        in: caller.work, timeout: 20)
        XCTAssertEqual(pcap.status, 0, pcap.output)
        let ports = Sipp.ports()
        let result = try caller.run(scenario: "dial_caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "200",
                                    mediaPort: ports.media, sipPort: ports.sip, timeout: 50)
        let phoneOutput = try baresip.wait(timeout: 40).output
        let log = "server log:\n\(server.rawLog.suffix(6000))\nbaresip:\n\(phoneOutput.suffix(2000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 5) { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertEqual(server.events { $0["message"] == "dial" }.map { $0["trunk"] ?? "" }, ["registered-contact"], log)
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)
        XCTAssertEqual(server.events { $0["message"] == "dial ended" }.map { $0["outcome"] ?? "" }, ["ended"], log)
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["ask-number", "call", "after-call"], log)

        // The phone heard the caller's tone through the bridge.
        let heard = try FileManager.default.contentsOfDirectory(atPath: records.path).filter { $0.hasSuffix("-dec.wav") }
        XCTAssertEqual(heard.count, 1, "expected one dump-*-dec.wav, found \(heard)")
        if let file = heard.first {
            let wav = try WAVFile.read(records.appendingPathComponent(file))
            XCTAssertGreaterThan(wav.rms, 1000, "the phone should hear the caller's 1 kHz tone")
        }
    }

    /// Registrations survive a kill -9 (issue 16): baresip registers with one server, the
    /// server dies without a word, another starts on the same data (and another port, so
    /// the phone cannot re-register with it), and a dial to the user still rings the phone
    /// at the binding the store kept.
    func testARegistrationSurvivesAKillNineAndTheRestartedServerRingsThePhone() throws {
        _ = try Peer.require("baresip", package: "baresip-core")
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/dial.yaml").path
        let numbers = #"  "200": { campaign: dialer }"#
        let campaigns = "  dialer: { script: \(script) }"
        let trunks = "trunks: [{ name: nowhere, uri: 'sip:127.0.0.1:9', destinations: ['*'] }]"
        let first = try ServerProcess(accessNumbersYAML: numbers, campaignsYAML: campaigns, extraYAML: trunks,
                                      name: "registered-kill-1")
        defer { first.stop() }
        let add = try ChildProcess.run(InteropPaths.binary.path, [
            "accounts", "add", "5002", "--password", "phone-pass-2", "--balance", "1",
            "--data-dir", first.dataDirectory.path,
        ], timeout: 30)
        XCTAssertEqual(add.status, 0, add.output)

        let firstPort = first.udpPort
        let baresip = Background {
            let output = try BaresipRegistrationTests.runBaresip(user: "5002", password: "phone-pass-2", serverPort: firstPort,
                                                                 seconds: 30, extraAccountParameters: ";answermode=auto")
            return ProcessResult(status: 0, output: output)
        }
        try first.waitForEvents(timeout: 10) { $0["message"] == "registered" && $0["aor"] == "sip:5002@switchback.local" }
        first.killHard()

        let second = try ServerProcess(accessNumbersYAML: numbers, campaignsYAML: campaigns, extraYAML: trunks,
                                       name: "registered-kill-2", dataDirectory: first.dataDirectory)
        defer { second.stop() }
        let restored = try second.waitForEvents(timeout: 10) { $0["message"] == "registrations restored" }
        XCTAssertEqual(restored.first?["bindings"], "1", second.rawLog.suffix(3000).description)

        let caller = try Sipp(name: "registered-kill-caller")
        try caller.makeDTMFPcap("5002#", named: "dest.pcap", seed: 51)
        try caller.makeDTMFPcap("#11", named: "end.pcap", seed: 52)
        let python = try Peer.require("python3", package: "python3")
        let sox = try Peer.require("sox", package: "sox")
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "tone.wav", "synth", "4", "sine", "1000",
                                              "vol", "0.5"], in: caller.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        let pcap = try ChildProcess.run(python, ["gen_audio_pcap.py", "tone.wav", "-o", "tone.pcap", "--codec", "pcmu", "--seed", "53"],
                                        in: caller.work, timeout: 20)
        XCTAssertEqual(pcap.status, 0, pcap.output)
        let ports = Sipp.ports()
        let result = try caller.run(scenario: "dial_caller.xml", target: "127.0.0.1:\(second.udpPort)", service: "200",
                                    mediaPort: ports.media, sipPort: ports.sip, timeout: 50)
        let phoneOutput = try baresip.wait(timeout: 40).output
        let log = "server log:\n\(second.rawLog.suffix(6000))\nbaresip:\n\(phoneOutput.suffix(2000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(second.events { $0["message"] == "dial" }.map { $0["trunk"] ?? "" }, ["registered-contact"], log)
        XCTAssertEqual(second.events { $0["message"] == "bridged" }.count, 1, log)
        XCTAssertEqual(second.events { $0["message"] == "registered" }.count, 0,
                       "the phone reached the restarted server only through the stored binding\n\(log)")
    }

    /// Runs baresip for `seconds` with one account that registers (regint > 0), then lets it quit.
    static func runBaresip(user: String, password: String, serverPort: Int, seconds: Int,
                           extraAccountParameters: String = "", recordDirectory: URL? = nil) throws -> String {
        let work = try InteropPaths.temporaryDirectory("registrar-baresip")
        let mic = work.appendingPathComponent("mic.wav")
        try WAVFile(sampleRate: 8000, channels: 1, samples: Array(repeating: 0, count: 8000 * (seconds + 5))).write(mic)
        let slot = Int.random(in: 0..<400)
        let sipPort = 45400 + slot, ctrlPort = 44400 + slot, rtpLow = 34000 + slot * 10
        let fixtures = InteropPaths.fixtures.appendingPathComponent("baresip")
        let config = try String(contentsOf: fixtures.appendingPathComponent("config.template"), encoding: .utf8)
            .replacingOccurrences(of: "@SIP_PORT@", with: "\(sipPort)")
            .replacingOccurrences(of: "@MIC_WAV@", with: mic.path)
            .replacingOccurrences(of: "@RTP_PORTS@", with: "\(rtpLow)-\(rtpLow + 9)")
            .replacingOccurrences(of: "@CTRL_PORT@", with: "\(ctrlPort)")
            .replacingOccurrences(of: "@RECORD_DIR@", with: (recordDirectory ?? work).path)
        try config.write(to: work.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "<sip:\(user)@127.0.0.1:\(serverPort)>;auth_pass=\(password);regint=60;audio_codecs=PCMU,PCMA\(extraAccountParameters)\n"
            .write(to: work.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        let baresip = try Peer.require("baresip", package: "baresip-core")
        let result = try ChildProcess.run(baresip, ["-f", work.path, "-n", "127.0.0.1", "-t", "\(seconds)"],
                                          timeout: TimeInterval(seconds + 15))
        return result.output
    }
}
