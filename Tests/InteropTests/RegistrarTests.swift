import Foundation
import XCTest

/// baresip registers with the real server by Digest against an account's stored HA1
/// (created with `switchback accounts add`): challenged, then bound; a wrong password
/// is refused; quitting un-REGISTERs.
final class RegistrarTests: XCTestCase {
    func testBaresipRegistersWithDigestAndUnregistersOnQuit() throws {
        _ = try Peer.require("baresip", package: "baresip-core")
        let server = try ServerProcess(name: "registrar")
        defer { server.stop() }
        let add = try ChildProcess.run(InteropPaths.binary.path, [
            "accounts", "add", "alice", "--password", "s3cret-pass", "--balance", "1",
            "--data-dir", server.directory.appendingPathComponent("data").path,
        ], timeout: 30)
        XCTAssertEqual(add.status, 0, add.output)

        let good = try runBaresip(user: "alice", password: "s3cret-pass", serverPort: server.udpPort, seconds: 4)
        let registered = try server.waitForEvents(timeout: 10) { $0["message"] == "registered" }
        XCTAssertEqual(registered.first?["aor"], "sip:alice@switchback.local", server.rawLog.suffix(3000).description)
        XCTAssertTrue(registered.first?["contacts"]?.contains("127.0.0.1") ?? false)
        try server.waitForEvents(timeout: 10) { $0["message"] == "unregistered" && $0["aor"] == "sip:alice@switchback.local" }
        XCTAssertTrue(server.events { $0["message"] == "register refused" }.isEmpty, "baresip:\n\(good.suffix(3000))")

        _ = try runBaresip(user: "alice", password: "wrong", serverPort: server.udpPort, seconds: 3)
        let refused = try server.waitForEvents(timeout: 10) { $0["message"] == "register refused" }
        XCTAssertEqual(refused.first?["status"], "403")
        XCTAssertEqual(server.events { $0["message"] == "registered" }.count, 1, "the wrong password bound nothing")
    }

    /// Runs baresip for `seconds` with one account that registers (regint > 0), then lets it quit.
    private func runBaresip(user: String, password: String, serverPort: Int, seconds: Int) throws -> String {
        let work = try InteropPaths.temporaryDirectory("registrar-baresip")
        let mic = work.appendingPathComponent("mic.wav")
        try WAVFile(sampleRate: 8000, channels: 1, samples: Array(repeating: 0, count: 8000)).write(mic)
        let slot = Int.random(in: 0..<400)
        let sipPort = 45400 + slot, ctrlPort = 44400 + slot, rtpLow = 34000 + slot * 10
        let fixtures = InteropPaths.fixtures.appendingPathComponent("baresip")
        let config = try String(contentsOf: fixtures.appendingPathComponent("config.template"), encoding: .utf8)
            .replacingOccurrences(of: "@SIP_PORT@", with: "\(sipPort)")
            .replacingOccurrences(of: "@MIC_WAV@", with: mic.path)
            .replacingOccurrences(of: "@RTP_PORTS@", with: "\(rtpLow)-\(rtpLow + 9)")
            .replacingOccurrences(of: "@CTRL_PORT@", with: "\(ctrlPort)")
            .replacingOccurrences(of: "@RECORD_DIR@", with: work.path)
        try config.write(to: work.appendingPathComponent("config"), atomically: true, encoding: .utf8)
        try "<sip:\(user)@127.0.0.1:\(serverPort)>;auth_pass=\(password);regint=60;audio_codecs=PCMU,PCMA\n"
            .write(to: work.appendingPathComponent("accounts"), atomically: true, encoding: .utf8)
        let baresip = try Peer.require("baresip", package: "baresip-core")
        let result = try ChildProcess.run(baresip, ["-f", work.path, "-n", "127.0.0.1", "-t", "\(seconds)"],
                                          timeout: TimeInterval(seconds + 15))
        return result.output
    }
}
