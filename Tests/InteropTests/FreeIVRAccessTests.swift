import Foundation
import XCTest

/// `free-ivr-access` / `free-access-user` through the real binary: a caller the store does
/// not know reaches the IVR of a number that would drop unauthenticated callers, runs it as
/// the named account (`$account` bound, its balance said without a PIN), and the access
/// leg is billed to that account.
final class FreeIVRAccessTests: XCTestCase {
    func testAnUnknownCallerRunsTheScriptAsTheFreeAccessAccount() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: BillingCallTests.rateDeck, name: "free-access-data")
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/free-access.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "501": { campaign: free, callback: drop-unauthenticated }"#,
                                       campaignsYAML: "  free: { script: \(script) }",
                                       extraYAML: "callback: { free-ivr-access: true, free-access-user: alice }",
                                       name: "free-access", dataDirectory: data)
        defer { server.stop() }
        let caller = try Sipp(name: "free-access")
        let ports = Sipp.ports()
        let result = try caller.run(scenario: "listen_until_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "501",
                                    mediaPort: ports.media, sipPort: ports.sip, timeout: 30)
        let log = "server log:\n\(server.rawLog.suffix(6000))"
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\n\(log)")
        let said = try server.waitForEvents(timeout: 5) { ($0["result"] ?? "").hasPrefix("balance ") }
        XCTAssertEqual(said.first?["result"], "balance 10 EUR", log)
        try server.waitForEvents(timeout: 5) { $0["message"] == "access leg settled" }
        XCTAssertEqual(server.events { $0["message"] == "access leg billed" }.first?["account"], "alice", log)
        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.count, 1, "\(rows)")
        XCTAssertEqual(rows.first?["account"], "alice", "\(rows)")
    }
}
