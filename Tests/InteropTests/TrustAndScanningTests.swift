import Foundation
import XCTest

/// Issue 11 against the real server, bounded and on 127.0.0.1 only: sipvicious (svmap,
/// svwar with INVITE over a number range and REGISTER over logins, svcrack against
/// REGISTER and INVITE) finds no account and no DID and places no call; a spoofed caller
/// ID from an untrusted address is asked for the PIN on the calling card.
///
/// Loopback is no trusted source here: the only trunk declares 10.0.0.0/8.
final class TrustAndScanningTests: XCTestCase {
    /// `sip.digest-lockout.attempts` as shipped (ServerProcess writes the `sip:` section).
    static let lockoutAttempts = 10

    func testSipviciousFindsNoAccountNorDIDAndPlacesNoCall() throws {
        let svmap = try Peer.require("svmap", package: "sipvicious")
        let svwar = try Peer.require("svwar", package: "sipvicious")
        let svcrack = try Peer.require("svcrack", package: "sipvicious")
        let data = try aliceData("scan-data")
        let server = try startServer(data: data, name: "scan")
        defer { server.stop() }
        let work = try InteropPaths.temporaryDirectory("scan-work")
        let target = "127.0.0.1"
        let port = "\(server.udpPort)"
        func run(_ tool: String, _ arguments: [String]) throws -> String {
            let result = try ChildProcess.run(tool, arguments, in: work, timeout: 120)
            return result.output
        }

        // svmap: the server answers as a SIP device (that is no secret), nothing more.
        let mapped = try run(svmap, ["-p", port, "-b", target, "-P", "0", target])
        XCTAssertTrue(mapped.contains(target), "svmap saw the server:\n\(mapped)")

        // svwar, INVITE over a range around alice's personal DID 4930500: nothing stands out.
        let dids = try run(svwar, ["-m", "INVITE", "-e", "4930490-4930510", "-p", port, "-b", target, "--force", target])
        // svwar says of each number what it saw; the DID must read like its neighbours.
        func report(_ number: String) -> [String] {
            dids.split(separator: "\n").filter { $0.contains(number) }.map { $0.replacingOccurrences(of: number, with: "N") }.sorted()
        }
        XCTAssertFalse(report("4930499").isEmpty, "svwar reported on the range:\n\(dids)")
        XCTAssertEqual(report("4930500"), report("4930499"), "the personal DID answers like every other number:\n\(dids)")
        XCTAssertEqual(report("4930500"), report("4930501"), "the personal DID answers like every other number:\n\(dids)")
        // svwar, REGISTER over logins: alice answers like nobody.
        let logins = work.appendingPathComponent("logins.txt")
        try "admin\nalice\nbob\n100\n1000\n".write(to: logins, atomically: true, encoding: .utf8)
        let users = try run(svwar, ["-d", logins.path, "-p", port, "-b", target, "--force", target])
        func userReport(_ name: String) -> [String] {
            users.split(separator: "\n").filter { $0.contains("'\(name)'") || $0.contains("| \(name) ") }
                .map { $0.replacingOccurrences(of: name, with: "U") }.sorted()
        }
        XCTAssertEqual(userReport("alice"), userReport("bob"), "a login answers like an unknown user:\n\(users)")
        XCTAssertEqual(userReport("alice"), userReport("admin"), "a login answers like an unknown user:\n\(users)")

        // svcrack: the right password sits after more wrong ones than the lockout allows.
        let words = (1...(Self.lockoutAttempts + 3)).map { "guess\($0)" } + ["wonderland", "guess-last"]
        let dictionary = work.appendingPathComponent("passwords.txt")
        try (words.joined(separator: "\n") + "\n").write(to: dictionary, atomically: true, encoding: .utf8)
        let register = try run(svcrack, ["-u", "alice", "-d", dictionary.path, "-p", port, "-b", target, target])
        XCTAssertFalse(register.contains("wonderland"), "REGISTER: locked out before the right password:\n\(register)")
        let invite = try run(svcrack, ["-u", "alice", "-d", dictionary.path, "-m", "INVITE",
                                       "--requesturi", "sip:1000@\(target):\(port)", "-p", port, "-b", target, target])
        XCTAssertFalse(invite.contains("wonderland"), "INVITE: locked out before the right password:\n\(invite)")

        // Nothing was called back, nothing answered, and the lockouts are on /metrics.
        XCTAssertEqual(try queuedCallbacks(data), 0, "no callback queued:\n\(server.rawLog.suffix(4000))")
        XCTAssertTrue(server.events { $0["message"] == "callback queued" }.isEmpty)
        XCTAssertTrue(server.events { $0["message"] == "answered" }.isEmpty, "no call answered:\n\(server.rawLog.suffix(4000))")
        let metrics = try HTTPExchange.send("GET", URL(string: "http://127.0.0.1:\(server.httpPort)/metrics")!).text
        let lockouts = metric("switchback_digest_lockouts_total", in: metrics)
        XCTAssertGreaterThanOrEqual(lockouts ?? 0, 2, "both crackers met the lockout:\n\(metrics)")
        XCTAssertGreaterThanOrEqual(metric("switchback_digest_failures_total", in: metrics) ?? 0, 2 * Self.lockoutAttempts,
                                    metrics)
    }

    func testSpoofedCallerIDFromAnUntrustedAddressIsAskedForThePIN() throws {
        let data = try aliceData("spoof-data")
        let server = try startServer(data: data, name: "spoof")
        defer { server.stop() }
        let sipp = try Sipp(name: "spoof")
        let ports = Sipp.ports()
        // alice's authorised caller ID, sent from 127.0.0.1, which nothing declares trusted.
        let result = try sipp.run(scenario: "spoofed-caller-waits.xml", target: "127.0.0.1:\(server.udpPort)", service: "1010",
                                  mediaPort: ports.media, sipPort: ports.sip, keys: ["caller": "4930111"], timeout: 40)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        try server.waitForEvents(timeout: 10) { $0["step"] == "remote-hangup" || $0["message"] == "hangup" }
        let answers = server.events { $0["step"] == "service-answered" }.map { $0["result"] ?? "" }
        XCTAssertFalse(answers.contains { $0.hasPrefix("authenticated") }, "the spoofed caller ID logged nobody in: \(answers)\n\(log)")
        let prompts = server.events { $0["step"] == "prompt-requested" }.map { $0["prompts"] ?? "" }
        XCTAssertTrue(prompts.contains { $0.contains("enter-pin") }, "the caller is asked for the PIN: \(prompts)\n\(log)")
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertFalse(nodes.contains("main-menu"), "never past the login: \(nodes)")
    }

    // MARK: - Set-up

    /// alice: password wonderland, PIN 123456, caller ID 4930111 authorised, forward number
    /// 4930777, personal DID 4930500.
    private func aliceData(_ name: String) throws -> URL {
        let data = try InteropPaths.temporaryDirectory(name).appendingPathComponent("data")
        try OperatorCLI.run(["accounts", "add", "alice", "--password", "wonderland", "--pin", "123456", "--balance", "5",
                             "--currency", "EUR", "--forward", "4930777", "--did", "4930500"], data: data)
        try OperatorCLI.run(["callers", "add", "alice", "4930111"], data: data)
        return data
    }

    /// The calling card (1000, methods sip-digest, ani, pin) challenges untrusted INVITEs
    /// (`sip-digest: auto`) for svcrack; 1010 is the same card without digest, for the
    /// spoofed caller; 1001 calls back. The trunk trusts 10.0.0.0/8 only.
    private func startServer(data: URL, name: String) throws -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        return try ServerProcess(accessNumbersYAML: """
              "1000": { campaign: calling-card, callback: none, sip-digest: auto }
              "1001": { campaign: ani-callback, callback: always }
              "1010": { campaign: calling-card, callback: none }
            """, campaignsYAML: """
              calling-card: { script: \(root)/scripts/calling-card.yaml }
              ani-callback: { script: \(root)/scripts/ani-callback.yaml }
              did-callback: { script: \(root)/scripts/did-callback.yaml }
            """, extraYAML: """
            trunks:
              - { name: pstn, uri: "sip:127.0.0.1:9", destinations: ["*"], trusted-sources: [10.0.0.0/8] }
            callback:
              delay: 30s
              did-campaign: did-callback
            """, name: name, dataDirectory: data)
    }

    private func queuedCallbacks(_ data: URL) throws -> Int {
        let sqlite = try Peer.require("sqlite3", package: "sqlite3")
        let result = try ChildProcess.run(sqlite, [data.appendingPathComponent("switchback.sqlite").path,
                                                   "SELECT COUNT(*) FROM callbackRequest"], timeout: 20)
        return Int(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    private func metric(_ name: String, in text: String) -> Int? {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") }
    }
}
