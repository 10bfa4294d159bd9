import Foundation
import XCTest

/// A graceful stop (SIGTERM) through the real binary: with a billed call up, the server
/// hangs the caller up (BYE), settles the leg and writes its CDR before it exits, so
/// nothing is left `in-progress` for the next start to recover.
final class GracefulStopTests: XCTestCase {
    func testSIGTERMMidCallSettlesTheLegAndWritesItsCDRBeforeExiting() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: BillingCallTests.rateDeck, name: "graceful-data")
        let sipp = try Sipp(name: "graceful-stop")
        try sipp.makeDTMFPcap("123456#")
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/billing.yaml").path
        let server = try ServerProcess(accessNumbersYAML: #"  "501": { campaign: billing }"#,
                                       campaignsYAML: "  billing: { script: \(script) }", name: "graceful-stop",
                                       dataDirectory: data)
        defer { server.stop() }
        let ports = Sipp.ports()
        // sipp would hold far longer; the server's BYE ends its scenario early (its result is not the point).
        let target = "127.0.0.1:\(server.udpPort)"
        let sippDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = try? sipp.run(scenario: "pin_hold_bye.xml", target: target, service: "501", mediaPort: ports.media,
                              sipPort: ports.sip, extraArguments: ["-d", "20000"], timeout: 30)
            sippDone.signal()
        }
        defer { _ = sippDone.wait(timeout: .now() + 40) }

        try server.waitForEvents(timeout: 20) { $0["message"] == "access leg billed" }
        let stopping = Date()
        server.process.terminate()   // SIGTERM
        server.process.waitUntilExit()
        let took = Date().timeIntervalSince(stopping)
        XCTAssertEqual(server.process.terminationReason, .exit, "it exits by itself, not by a signal")
        XCTAssertLessThan(took, 9, "the settle wait is bounded")
        let log = server.rawLog.suffix(6000)
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] == "server" }.count, 1, "\(log)")
        XCTAssertEqual(server.events { $0["message"] == "access leg settled" }.count, 1, "\(log)")
        XCTAssertEqual(server.events { $0["message"] == "every leg settled before the stop" }.count, 1, "\(log)")

        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.map { $0["disposition"] ?? "" }, ["answered"], "settled, not in-progress: \(rows)")
        let account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.openCalls, "0")
        XCTAssertEqual(account.callEntries.count, 1)

        // The next start has nothing to recover.
        let again = try ServerProcess(accessNumbersYAML: #"  "501": { campaign: billing }"#,
                                      campaignsYAML: "  billing: { script: \(script) }", name: "graceful-again",
                                      dataDirectory: data)
        XCTAssertEqual(again.events { $0["message"] == "billing recovery done" }.first?["reservations"], "0")
        again.stop()
    }
}
