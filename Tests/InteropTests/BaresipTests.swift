import Foundation
import XCTest

/// A real softphone (baresip) dials the demo access number, hears the prompts (recorded
/// to WAV by its sndfile module), keys DTMF, and is hung up by the server.
final class BaresipTests: XCTestCase {
    func testBaresipHearsThePromptKeysDigitsAndIsHungUp() throws {
        _ = try Peer.require("baresip", package: "baresip-core")
        let python = try Peer.require("python3", package: "python3")
        let server = try ServerProcess(name: "baresip")
        defer { server.stop() }
        let work = try InteropPaths.temporaryDirectory("baresip")
        let records = work.appendingPathComponent("records")
        try FileManager.default.createDirectory(at: records, withIntermediateDirectories: true)
        // Microphone: 40 s of silence, longer than the call, so its end does not hang up.
        let mic = work.appendingPathComponent("mic.wav")
        try WAVFile(sampleRate: 8000, channels: 1, samples: Array(repeating: 0, count: 8000 * 40)).write(mic)

        let slot = Int.random(in: 0..<400)
        let sipPort = 45000 + slot, ctrlPort = 44000 + slot, rtpLow = 30000 + slot * 10
        let fixtures = InteropPaths.fixtures.appendingPathComponent("baresip")
        let fill = { (text: String) in
            text.replacingOccurrences(of: "@SIP_PORT@", with: "\(sipPort)")
                .replacingOccurrences(of: "@MIC_WAV@", with: mic.path)
                .replacingOccurrences(of: "@RTP_PORTS@", with: "\(rtpLow)-\(rtpLow + 9)")
                .replacingOccurrences(of: "@CTRL_PORT@", with: "\(ctrlPort)")
                .replacingOccurrences(of: "@RECORD_DIR@", with: records.path)
        }
        let conf = work.appendingPathComponent("conf")
        try FileManager.default.createDirectory(at: conf, withIntermediateDirectories: true)
        try fill(String(contentsOf: fixtures.appendingPathComponent("config.template"), encoding: .utf8))
            .write(to: conf.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try fill(String(contentsOf: fixtures.appendingPathComponent("accounts.template"), encoding: .utf8))
            .write(to: conf.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)

        let result = try ChildProcess.run(python, [
            fixtures.appendingPathComponent("drive_baresip.py").path, "--conf", conf.path,
            "--target", "sip:100@127.0.0.1:\(server.udpPort)", "--digits", "42#", "--listen-secs", "3.5",
            "--ctrl-port", "\(ctrlPort)", "--log", work.appendingPathComponent("baresip.log").path, "--timeout", "45",
        ], timeout: 60)
        let baresipLog = (try? String(contentsOf: work.appendingPathComponent("baresip.log"), encoding: .utf8)) ?? ""
        XCTAssertEqual(result.status, 0, "driver:\n\(result.output)\nbaresip:\n\(baresipLog.suffix(3000))\nserver:\n\(server.rawLog.suffix(3000))")

        let collected = try server.waitForEvents(timeout: 5) { $0["step"] == "digits-collected" }
        XCTAssertEqual(collected.map { $0["value"] ?? "" }, ["42"])
        XCTAssertEqual(Set(server.events { $0["message"] == "dtmf" }.map { $0["via"] ?? "" }), ["rfc4733"])
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] == "server" }.count, 1)

        // What baresip heard: at least the welcome prompt's length, and not silence.
        let heard = try FileManager.default.contentsOfDirectory(atPath: records.path).filter { $0.hasSuffix("-dec.wav") }
        XCTAssertEqual(heard.count, 1, "expected one dump-*-dec.wav, found \(heard)")
        guard let file = heard.first else { return }
        let wav = try WAVFile.read(records.appendingPathComponent(file))
        let welcome = try WAVFile.read(InteropPaths.packageRoot.appendingPathComponent("sounds/en/welcome.wav"))
        XCTAssertGreaterThan(wav.durationSeconds, welcome.durationSeconds, "the recording should span at least the welcome prompt")
        XCTAssertLessThan(wav.durationSeconds, 40, "the server should have hung up well before the microphone ran out")
        XCTAssertGreaterThan(wav.rms, 200, "what baresip heard should be speech, not silence")
    }
}
