import Foundation
import XCTest

/// The trigger side of the callback services against the real server and sipp (issue 6):
/// an ANI-callback access number rings and refuses busy, never answering, and queues the
/// callback durably (once per idempotency window); a personal DID queues a callback to the
/// account's forward number even with the caller ID withheld; a softphone's INVITE is
/// challenged for digest credentials and, once they check, its script runs authenticated.
final class CallbackTriggerTests: XCTestCase {
    /// The callback delay of these tests: long enough that the queue worker leaves the
    /// requests queued while the test reads them.
    static let delaySeconds = 30.0

    func testANIAndDIDTriggersQueueCallbacksWithoutAnswering() throws {
        let data = try operatorSetUp()
        let server = try startServer(data: data)
        defer { server.stop() }
        let sipp = try Sipp(name: "callback-trigger")
        let target = "127.0.0.1:\(server.udpPort)"

        // ANI: 180, then 486 (the scenario fails on a 200), and one queued request.
        var ports = Sipp.ports()
        var result = try sipp.run(scenario: "callback-trigger-caller.xml", target: target, service: "1001",
                                  mediaPort: ports.media, sipPort: ports.sip, keys: ["caller": "4930111"], timeout: 30)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback queued" }
        var rows = try queue(data)
        XCTAssertEqual(rows.count, 1, "\(rows)")
        let ani = try XCTUnwrap(rows.first)
        XCTAssertEqual(ani["state"], "queued")
        XCTAssertEqual(ani["trigger"], "sip-ani")
        XCTAssertEqual(ani["originNumber"], "4930111")
        XCTAssertEqual(ani["callerID"], "1001", "callbackcallernumber defaults to the access number")
        XCTAssertEqual(ani["accessNumber"], "1001")
        XCTAssertFalse((ani["accountID"] ?? "").isEmpty, "the known caller ID binds the account")
        XCTAssertEqual(Double(ani["delay"] ?? "") ?? -1, Self.delaySeconds, accuracy: 1.0, "notBefore = created + delay")
        XCTAssertTrue(server.events { $0["message"] == "answered" }.isEmpty, "the trigger call is never answered")

        // The same trigger again within the window queues nothing new.
        ports = Sipp.ports()
        result = try sipp.run(scenario: "callback-trigger-caller.xml", target: target, service: "1001",
                              mediaPort: ports.media, sipPort: ports.sip, keys: ["caller": "4930111"], timeout: 30)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)")
        try server.waitForEvents(timeout: 10) { $0["message"] == "callback already queued" }
        rows = try queue(data)
        XCTAssertEqual(rows.count, 1, "a repeated trigger within the window is the same request: \(rows)")

        // DID: the caller ID is withheld; the account's forward number is called back.
        ports = Sipp.ports()
        result = try sipp.run(scenario: "callback-trigger-caller.xml", target: target, service: "4930500",
                              mediaPort: ports.media, sipPort: ports.sip, keys: ["caller": "anonymous"], timeout: 30)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        rows = try queue(data)
        let did = try XCTUnwrap(rows.first { $0["trigger"] == "sip-did" }, "\(rows)")
        XCTAssertEqual(did["originNumber"], "4930777")
        XCTAssertEqual(did["state"], "queued")
        XCTAssertEqual(did["accountID"], ani["accountID"])
        XCTAssertEqual(did["accessNumber"], "4930500")
        XCTAssertTrue(server.events { $0["message"] == "answered" }.isEmpty)
    }

    func testSoftphoneINVITEIsChallengedAndItsScriptRunsDigestAuthenticated() throws {
        let data = try operatorSetUp()
        let server = try startServer(data: data)
        defer { server.stop() }
        let sipp = try Sipp(name: "callback-trigger-digest")
        let ports = Sipp.ports()
        let result = try sipp.run(scenario: "callback-trigger-digest.xml", target: "127.0.0.1:\(server.udpPort)",
                                  service: "1005", mediaPort: ports.media, sipPort: ports.sip,
                                  keys: ["login": "alice"], extraArguments: ["-au", "alice", "-ap", "wonderland"],
                                  timeout: 40)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        XCTAssertTrue(result.output.contains("407") || sipp.messageTrace().contains("407 Proxy Authentication Required"),
                      "the first INVITE was challenged")
        let hangup = try server.waitForEvents(timeout: 10) { $0["message"] == "hangup" && $0["by"] == "server" }
        XCTAssertEqual(hangup.first?["cause"], "normal",
                       "the script's sip-digest authentication succeeded:\n\(server.rawLog.suffix(4000))")
    }

    // MARK: - Set-up, through the CLI

    /// Account alice: password wonderland (its HA1 for switchback.local), PIN 123456, caller
    /// ID 4930111 authorised, forward number 4930777, personal DID 4930500.
    private func operatorSetUp() throws -> URL {
        let data = try InteropPaths.temporaryDirectory("callback-trigger-data").appendingPathComponent("data")
        try OperatorCLI.run(["accounts", "add", "alice", "--password", "wonderland", "--pin", "123456", "--balance", "5",
                    "--currency", "EUR", "--forward", "4930777", "--did", "4930500"], data: data)
        try OperatorCLI.run(["callers", "add", "alice", "4930111"], data: data)
        return data
    }

    private func startServer(data: URL) throws -> ServerProcess {
        let root = InteropPaths.packageRoot.path
        let digest = InteropPaths.fixtures.appendingPathComponent("scripts/callback-trigger-digest.yaml").path
        return try ServerProcess(accessNumbersYAML: """
              "1001": { campaign: ani-callback, callback: always }
              "1005": { campaign: digest, callback: none, sip-digest: always }
            """, campaignsYAML: """
              ani-callback: { script: \(root)/scripts/ani-callback.yaml }
              did-callback: { script: \(root)/scripts/did-callback.yaml }
              digest: { script: \(digest) }
            """, extraYAML: """
            # sipp calls from 127.0.0.1, declared a trusted source (issue 11): its caller IDs and DIDs count.
            did-providers: [{ name: loopback, trusted-sources: [127.0.0.1/32] }]
            callback:
              delay: \(Int(Self.delaySeconds))s
              idempotency-window: 60s
              did-campaign: did-callback
            """, name: "callback-trigger", dataDirectory: data)
    }

    /// The callback queue as the server wrote it, read with the sqlite3 shell (WAL: the
    /// running server's writes are visible).
    private func queue(_ data: URL) throws -> [[String: String]] {
        let sqlite = try Peer.require("sqlite3", package: "sqlite3")
        let query = """
            SELECT state, trigger, originNumber, IFNULL(callerID, ''), IFNULL(accessNumber, ''), IFNULL(accountID, ''),
                   printf('%.3f', (julianday(notBefore) - julianday(createdAt)) * 86400.0)
            FROM callbackRequest ORDER BY id
            """
        let result = try ChildProcess.run(sqlite, ["-separator", "|", data.appendingPathComponent("switchback.sqlite").path, query],
                                          timeout: 20)
        guard result.status == 0 else { throw ServerProcess.Failure("sqlite3 failed: \(result.output)") }
        let names = ["state", "trigger", "originNumber", "callerID", "accessNumber", "accountID", "delay"]
        return result.output.split(separator: "\n").map { line in
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            return Dictionary(uniqueKeysWithValues: zip(names, fields))
        }
    }
}
