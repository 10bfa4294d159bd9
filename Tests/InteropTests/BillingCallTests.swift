import Foundation
import XCTest

/// Money on live calls, through the real binary: the operator sets up a plan that charges
/// the access leg and an account with the CLI, sipp calls a calling-card number, types the
/// PIN by RFC 4733 and holds; the CDR, ledger and balance come out exact to the last digit.
/// Then the same call with `kill -9` in the middle: the next start settles the open leg
/// once, from its last heartbeat, and a further restart changes nothing.
final class BillingCallTests: XCTestCase {
    /// The rate deck, one row per access number (prefix, description, rate per minute,
    /// connection fee, first increment, increment).
    /// 500: 0.0725/min + 0.0150, billed 30/6. 501: the same money, billed by the second.
    static let rateDeck = """
        prefix,description,rate,connection fee,first increment,increment
        500,Calling card access 30/6,0.0725,0.0150,30,6
        501,Calling card access 1/1,0.0725,0.0150,1,1
        """
    static let perMinuteMinorUnits: Int64 = 725      // 0.0725 in ten-thousandths
    static let connectionFeeMinorUnits: Int64 = 150  // 0.0150

    /// What the rate row makes of `billed` seconds, by hand: fee + rate × seconds / 60, the
    /// second term rounded half up at the 4th decimal (the deck's rule); in ten-thousandths.
    static func expectedCostMinorUnits(billedSeconds: Int) -> Int64 {
        guard billedSeconds > 0 else { return 0 }
        let numerator = perMinuteMinorUnits * Int64(billedSeconds)
        let talk = numerator / 60 + (numerator % 60 * 2 >= 60 ? 1 : 0)
        return connectionFeeMinorUnits + talk
    }

    static func amount(_ minorUnits: Int64) -> String {
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = abs(minorUnits)
        return sign + "\(magnitude / 10_000)." + String(format: "%04d", Int(magnitude % 10_000))
    }

    func testHandCheckedRoundingOfTheDeck() {
        // 30 s: 0.0725 × 30 / 60 = 0.03625 → 0.0363, + 0.0150 = 0.0513.
        XCTAssertEqual(Self.amount(Self.expectedCostMinorUnits(billedSeconds: 30)), "0.0513")
        // 7 s: 0.0725 × 7 / 60 = 0.0084583… → 0.0085, + 0.0150 = 0.0235.
        XCTAssertEqual(Self.amount(Self.expectedCostMinorUnits(billedSeconds: 7)), "0.0235")
    }

    func testCallingCardCallIsBilledExactlyAndTheBalanceReducedByTheCDRCost() throws {
        let data = try operatorSetUp()
        let sipp = try Sipp(name: "billing")
        try sipp.makeDTMFPcap("123456#")
        let server = try startServer(data: data, name: "billing")
        defer { server.stop() }
        let ports = Sipp.ports()
        // Holds 8 s after the digits start: the leg is up about 9.5 s, inside the first 30 s increment.
        let result = try sipp.run(scenario: "pin_hold_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "500",
                                  mediaPort: ports.media, sipPort: ports.sip, extraArguments: ["-d", "8000"], timeout: 40)
        XCTAssertEqual(result.status, 0, "sipp failed:\n\(result.output)\nserver log:\n\(server.rawLog.suffix(4000))")
        let settled = try server.waitForEvents(timeout: 10) { $0["message"] == "access leg settled" }
        XCTAssertEqual(server.events { $0["message"] == "access leg billed" }.count, 1)
        XCTAssertEqual(server.events { $0["message"] == "hangup" }.first?["by"], "caller")

        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.count, 1, "one CDR: \(rows)")
        let leg = try XCTUnwrap(rows.first)
        XCTAssertEqual(leg["account"], "alice")
        XCTAssertEqual(leg["leg"], "a")
        XCTAssertEqual(leg["from"], "5551234")
        XCTAssertEqual(leg["to"], "500")
        XCTAssertEqual(leg["campaign"], "billing")
        XCTAssertEqual(leg["trigger"], "card")
        XCTAssertEqual(leg["rate_prefix"], "500")
        XCTAssertEqual(leg["rate_per_minute"], "0.0725")
        XCTAssertEqual(leg["connection_fee"], "0.0150")
        XCTAssertEqual(leg["increments"], "30/6")
        XCTAssertEqual(leg["disposition"], "answered")
        XCTAssertEqual(leg["sip_cause"], "200")
        XCTAssertEqual(leg["currency"], "EUR")
        let talk = try OperatorCLI.talkSeconds(leg)
        XCTAssertTrue((7...20).contains(talk), "the call was held about 9.5 s, CDR says \(talk) s")
        // Anything up to 30 s answered is billed as the first increment: 30 s.
        XCTAssertEqual(leg["billed_seconds"], "30")
        // 0.0725 × 30 / 60 = 0.03625 → 0.0363; + 0.0150 connection fee = 0.0513.
        XCTAssertEqual(leg["cost"], "0.0513")
        XCTAssertEqual(leg["cost"], Self.amount(Self.expectedCostMinorUnits(billedSeconds: 30)))
        XCTAssertEqual(settled.first?["cost"], "0.0513 EUR")

        // 10.0000 − 0.0513, in one ledger entry.
        let account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.balance, "9.9487 EUR")
        XCTAssertEqual(account.callEntries, ["-0.0513"])
        XCTAssertEqual(account.openCalls, "0")
    }

    func testKill9MidCallIsRecoveredOnceFromTheLastHeartbeat() throws {
        let data = try operatorSetUp()
        let sipp = try Sipp(name: "billing-kill")
        try sipp.makeDTMFPcap("123456#")
        let server = try startServer(data: data, name: "billing-kill")
        defer { server.stop() }
        let ports = Sipp.ports()
        // sipp holds far longer than the server lives; its BYE then goes unanswered.
        let target = "127.0.0.1:\(server.udpPort)"
        let sippDone = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            _ = try? sipp.run(scenario: "pin_hold_bye.xml", target: target, service: "501", mediaPort: ports.media,
                              sipPort: ports.sip, extraArguments: ["-d", "14000"], timeout: 30)
            sippDone.signal()
        }
        defer { _ = sippDone.wait(timeout: .now() + 40) }

        // After a heartbeat has been written, the process dies without settling anything.
        try server.waitForEvents(timeout: 20) { $0["message"] == "access leg billed" }
        let heartbeat = try server.waitForEvents(timeout: 10) { $0["message"] == "billing progress" }
        let heartbeatSeconds = try XCTUnwrap(Int(heartbeat[0]["answered-seconds"] ?? ""))
        server.killHard()
        XCTAssertTrue(server.events { $0["message"] == "access leg settled" }.isEmpty)

        // What the crash left: an open leg, a reservation, the balance untouched.
        let open = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(open.map { $0["disposition"] ?? "" }, ["in-progress"])
        var account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.balance, "10.0000 EUR")
        XCTAssertEqual(account.openCalls, "1")

        // The next start closes the leg at its last heartbeat and settles it.
        let restarted = try startServer(data: data, name: "billing-restart")
        let recovered = restarted.events { $0["message"] == "recovered open leg" }
        XCTAssertEqual(recovered.count, 1, restarted.rawLog)
        XCTAssertEqual(restarted.events { $0["message"] == "billing recovery done" }.first?["reservations"], "1")
        restarted.stop()

        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.count, 1, "one CDR: \(rows)")
        let leg = try XCTUnwrap(rows.first)
        XCTAssertEqual(leg["to"], "501")
        XCTAssertEqual(leg["increments"], "1/1")
        XCTAssertEqual(leg["disposition"], "interrupted")
        // Billed to the last heartbeat: the leg's recorded end, 1/1 increments.
        let billed = try XCTUnwrap(Int(leg["billed_seconds"] ?? ""))
        XCTAssertEqual(billed, try OperatorCLI.talkSeconds(leg))
        XCTAssertTrue(abs(billed - heartbeatSeconds) <= 1, "billed \(billed) s, heartbeat logged at \(heartbeatSeconds) s")
        XCTAssertTrue(billed >= 5, "a heartbeat comes 5 s after authentication: \(billed) s")
        let cost = Self.expectedCostMinorUnits(billedSeconds: billed)
        XCTAssertEqual(leg["cost"], Self.amount(cost))
        XCTAssertEqual(recovered.first?["cost"], "\(Self.amount(cost)) EUR")

        account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.balance, "\(Self.amount(100_000 - cost)) EUR")
        XCTAssertEqual(account.callEntries, ["-" + Self.amount(cost)])
        XCTAssertEqual(account.openCalls, "0")

        // A further restart finds nothing to recover and changes nothing.
        let cdrText = try OperatorCLI.run(["cdr", "export", "--format", "csv"], data: data)
        let again = try startServer(data: data, name: "billing-again")
        XCTAssertEqual(again.events { $0["message"] == "billing recovery done" }.first?["reservations"], "0")
        XCTAssertTrue(again.events { $0["message"] == "recovered open leg" }.isEmpty)
        again.stop()
        XCTAssertEqual(try OperatorCLI.run(["cdr", "export", "--format", "csv"], data: data), cdrText)
        let final = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(final.balance, account.balance)
        XCTAssertEqual(final.callEntries, account.callEntries)
    }

    // MARK: - Operator steps, through the CLI

    /// A data directory with plan `card` (A leg charged) and account alice: PIN 123456, 10.0000 EUR.
    private func operatorSetUp() throws -> URL {
        try OperatorCLI.cardPlanWithAlice(deck: Self.rateDeck, name: "billing-data")
    }

    private func startServer(data: URL, name: String) throws -> ServerProcess {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/billing.yaml").path
        return try ServerProcess(accessNumbersYAML: """
              "500": { campaign: billing }
              "501": { campaign: billing }
            """, campaignsYAML: "  billing: { script: \(script) }", name: name, dataDirectory: data)
    }
}
