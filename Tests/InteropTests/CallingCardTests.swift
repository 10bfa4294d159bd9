import Foundation
import XCTest

/// The shipped calling-card script (scripts/calling-card.yaml) over the real server, with
/// sipp as the caller and sipp as the PSTN behind a trunk (DESIGN.md service 8). The
/// operator sets up the plan and the account with the CLI; the caller authenticates
/// (PIN, or ANI), hears its balance, forwards to a destination, ends that forward with
/// `#11`, forwards to a second one and hangs up while it is up. The CDRs and the balance
/// come out exact: every leg's cost is what `switchback rates quote` (the Billing module's
/// rating) makes of its billed seconds, and the balance drops by exactly their sum.
final class CallingCardTests: XCTestCase {
    /// The access number and the destinations, each with its own rate and increments.
    static let rateDeck = """
        prefix,description,rate,connection fee,first increment,increment
        700,Calling card access,0.0725,0.0150,30,6
        4930,Berlin,0.1200,0.0100,1,1
        4989,Munich,0.0900,0.0000,6,6
        """
    /// A plan whose access leg costs 0.02/s: the ring time a forward must reserve for weighs.
    static let dearAccessDeck = """
        prefix,description,rate,connection fee,first increment,increment
        701,Dear access,1.2000,0.0000,1,1
        4930,Berlin,0.6000,0.0000,1,1
        """
    private let firstDestination = "4930777"
    private let secondDestination = "4989123"

    func testCallingCardEndToEndBillsEveryLegExactly() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.rateDeck, name: "card-data")
        let caller = try Sipp(name: "card-caller")
        let pstn = try Sipp(name: "card-pstn")
        try caller.makeDTMFPcap("123456#", named: "pin.pcap", seed: 61)
        try caller.makeDTMFPcap("111#", named: "balance.pcap", seed: 62)
        try caller.makeDTMFPcap("\(firstDestination)#", named: "dest1.pcap", seed: 64)
        try caller.makeDTMFPcap("#11", named: "end.pcap", seed: 65)
        try caller.makeDTMFPcap("\(secondDestination)#", named: "dest2.pcap", seed: 66)
        let callerPorts = Sipp.ports()
        let pstnPorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.callingCard(accessNumber: "700", trunkPort: pstnPorts.sip, data: data, name: "card")
        defer { server.stop() }

        let pstnRun = Background { try Self.runPSTN(pstn, calls: 2, ports: pstnPorts) }
        let result = try caller.run(scenario: "calling-card-caller.xml", target: "127.0.0.1:\(server.udpPort)", service: "700",
                                    mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 80)
        let pstnResult = try pstnRun.wait(timeout: 90)
        try server.waitForEvents(timeout: 10) { $0["message"] == "access leg settled" }
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(pstnResult.status, 0, "PSTN sipp failed:\n\(pstnResult.output)\n\(log)")

        // The script's way: PIN, the balance, 111 at the destination prompt (the balance
        // again), two forwards, the caller hung up during the second.
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["login", "balance", "ask-number", "balance-key", "balance", "ask-number", "balance-key",
                               "check", "call", "ask-number", "balance-key", "check", "call"], log)
        // Parity: `switchback simulate` with the same keys walks the same nodes (the caller
        // hung up during the second call, where the simulation goes on).
        try ScriptParity.assertParity(server, [
            .init(script: "calling-card", start: "login", arguments: [
                "--account", "alice", "--digits", "123456#", "--digits", "111#", "--digits", "\(firstDestination)#",
                "--digits", "\(secondDestination)#", "--dial-outcome", "ended", "--dial-outcome", "ended",
            ], endsEarly: true),
        ])
        XCTAssertEqual(server.events { $0["message"] == "in-call key" }.map { $0["keys"] ?? "" }, ["#11"], log)
        XCTAssertEqual(server.events { $0["message"] == "forward billed" }.map { $0["joint"] ?? "" }, ["yes", "yes"], log)
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 2, log)
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] != nil }.map { $0["by"] ?? "" }, ["caller"], log)
        let pstnTrace = try Self.fullMessageTrace(pstn)
        XCTAssertTrue(pstnTrace.contains("INVITE sip:\(firstDestination)@") && pstnTrace.contains("INVITE sip:\(secondDestination)@"),
                      "the PSTN got both numbers\n\(pstnTrace)")

        // Three CDRs: the access leg and both forwards, all closed.
        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.count, 3, "CDRs: \(rows)")
        let aLeg = try XCTUnwrap(rows.first { $0["leg"] == "a" }, "\(rows)")
        let bLegs = rows.filter { $0["leg"] == "b" }
        XCTAssertEqual(bLegs.map { $0["to"] ?? "" }, [firstDestination, secondDestination])
        XCTAssertEqual(aLeg["from"], "5551234")
        XCTAssertEqual(aLeg["to"], "700")
        XCTAssertEqual(aLeg["rate_prefix"], "700")
        XCTAssertEqual(aLeg["increments"], "30/6")
        XCTAssertEqual(aLeg["disposition"], "answered")
        for leg in bLegs {
            XCTAssertEqual(leg["from"], "5551234", "the caller ID forwarded to the callee")
            XCTAssertEqual(leg["account"], "alice")
            XCTAssertEqual(leg["disposition"], "answered")
            XCTAssertEqual(leg["sip_cause"], "200")
        }
        XCTAssertEqual(bLegs.map { $0["rate_prefix"] ?? "" }, ["4930", "4989"])
        XCTAssertEqual(bLegs.map { $0["increments"] ?? "" }, ["1/1", "6/6"])
        XCTAssertEqual(bLegs.map { $0["rate_per_minute"] ?? "" }, ["0.1200", "0.0900"])

        // The first forward talked from its answer to #11 (about 8 s), the second from its
        // answer to the caller's BYE (about 6 s); the access leg the whole call (about 47 s).
        let firstTalk = try OperatorCLI.talkSeconds(bLegs[0]), secondTalk = try OperatorCLI.talkSeconds(bLegs[1])
        let accessTalk = try OperatorCLI.talkSeconds(aLeg)
        XCTAssertTrue((3...15).contains(firstTalk), "first forward \(firstTalk) s\n\(log)")
        XCTAssertTrue((2...12).contains(secondTalk), "second forward \(secondTalk) s\n\(log)")
        XCTAssertTrue((35...70).contains(accessTalk), "access leg \(accessTalk) s")
        // The A leg ended when the caller hung up, and the second forward with it.
        XCTAssertEqual(aLeg["end"], bLegs[1]["end"], "one settlement closed both legs")

        // Every leg priced as the plan's rating prices its talk time, to the last digit.
        var total: Int64 = 0
        for (leg, seconds, legOption) in [(aLeg, accessTalk, "a"), (bLegs[0], firstTalk, "b"), (bLegs[1], secondTalk, "b")] {
            let quote = try OperatorCLI.quote(plan: "card", to: leg["to"] ?? "", seconds: seconds, leg: legOption, data: data)
            XCTAssertEqual(leg["billed_seconds"], quote.billedSeconds, "\(leg)")
            XCTAssertEqual(leg["cost"], quote.cost, "\(leg)")
            total += try Self.minorUnits(leg["cost"] ?? "")
        }
        // The increments show: 30/6 rounds the access leg up, 6/6 the Munich leg.
        XCTAssertEqual(Int(aLeg["billed_seconds"] ?? "")! % 6, 0)
        XCTAssertEqual(Int(bLegs[1]["billed_seconds"] ?? "")! % 6, 0)
        XCTAssertGreaterThan(total, 0)

        // The balance fell by exactly the three costs, in three ledger entries (B, B, A+B).
        let account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.balance, "\(Self.amount(100_000 - total)) EUR",
                       "10.0000 − \(Self.amount(total)); CDRs \(rows)")
        XCTAssertEqual(account.openCalls, "0")
        XCTAssertEqual(try account.callEntries.reduce(Int64(0)) { try $0 + Self.minorUnits($1) }, -total)
        let firstCost = try Self.minorUnits(bLegs[0]["cost"] ?? "")
        XCTAssertEqual(account.callEntries.first, "-" + Self.amount(firstCost), "the first forward was charged at #11")
        XCTAssertEqual(account.callEntries.count, 2, "#11 charged B alone; the hang-up settled A and the second B together")
        print("calling card: A \(accessTalk) s → \(aLeg["billed_seconds"]!) s \(aLeg["cost"]!); "
            + "B1 \(firstTalk) s → \(bLegs[0]["billed_seconds"]!) s \(bLegs[0]["cost"]!); "
            + "B2 \(secondTalk) s → \(bLegs[1]["billed_seconds"]!) s \(bLegs[1]["cost"]!); "
            + "total \(Self.amount(total)); balance \(account.balance)")
    }

    func testAForwardTheCreditCannotCoverTakesTheOutOfCreditPathAndBillsNothingForB() throws {
        let data = try InteropPaths.temporaryDirectory("card-refused-data").appendingPathComponent("data")
        try OperatorCLI.importRateDeck(Self.dearAccessDeck, plan: "dear", data: data)
        try OperatorCLI.run(["accounts", "add", "bob", "--password", "1357", "--pin", "432109", "--balance", "0.8", "--plan", "dear"],
                   data: data)
        // Known by the caller ID: the script authenticates by ANI and asks no PIN.
        try OperatorCLI.run(["callers", "add", "bob", "5551234"], data: data)
        let caller = try Sipp(name: "card-refused-caller")
        try caller.makeDTMFPcap("\(firstDestination)#", named: "dest1.pcap", seed: 72)
        let callerPorts = Sipp.ports()
        // Nothing listens on the trunk: a call placed there would fail, not be refused.
        let server = try ServerProcess.callingCard(accessNumber: "701", trunkPort: 9, data: data, name: "card-refused")
        defer { server.stop() }
        let result = try caller.run(scenario: "calling-card-refused-caller.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "701", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 50)
        try server.waitForEvents(timeout: 10) { $0["message"] == "access leg settled" }
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")

        // The credit check passed (0.80 pays A and a few seconds of B), but the forward must
        // also hold A's cost for the 45 s it may ring: 0.02 × 45 alone is 0.90. Refused.
        let check = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(check, ["login", "balance", "ask-number", "balance-key", "check", "call", "no-credit", "goodbye"], log)
        let refused = try XCTUnwrap(server.events { $0["message"] == "forward refused" }.first, log)
        XCTAssertEqual(refused["outcome"], "out-of-credit")
        XCTAssertEqual(refused["to"], firstDestination)
        XCTAssertTrue(server.events { $0["message"] == "dialing" }.isEmpty, "no B leg was placed\n\(log)")
        XCTAssertTrue(server.events { $0["message"] == "forward billed" }.isEmpty)
        XCTAssertEqual(server.events { $0["message"] == "hangup" && $0["by"] != nil }.map { $0["by"] ?? "" }, ["server"], log)
        // The refusal names what could not be covered: A's cost through the ring time and
        // B's first second, more than the 0.8000 the account holds.
        let reason = refused["reason"] ?? ""
        XCTAssertTrue(reason.hasPrefix("insufficient funds: 0.8000 EUR free, "), reason)
        let requested = try Self.minorUnits(reason.components(separatedBy: " ").dropLast(2).last ?? "")
        XCTAssertGreaterThan(requested, 9_000, "at least 0.02 × 45 s of A plus 0.01 of B: \(reason)")

        // One CDR, the access leg's, and the balance lowered by its cost alone.
        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.map { $0["leg"] ?? "" }, ["a"], "no B leg CDR: \(rows)")
        let aLeg = try XCTUnwrap(rows.first)
        let quote = try OperatorCLI.quote(plan: "dear", to: "701", seconds: try OperatorCLI.talkSeconds(aLeg), leg: "a",
                                          data: data)
        XCTAssertEqual(aLeg["billed_seconds"], quote.billedSeconds)
        XCTAssertEqual(aLeg["cost"], quote.cost)
        let cost = try Self.minorUnits(quote.cost)
        let account = try OperatorCLI.show("bob", data: data)
        XCTAssertEqual(account.balance, "\(Self.amount(8_000 - cost)) EUR")
        XCTAssertEqual(account.callEntries, ["-" + quote.cost])
        XCTAssertEqual(account.openCalls, "0")
    }

    // MARK: - Operator steps and peers

    static func runPSTN(_ sipp: Sipp, calls: Int, ports: (sip: Int, media: Int)) throws -> ProcessResult {
        let result = try ChildProcess.run(sipp.executable, [
            "-sf", "calling-card-pstn.xml", "-i", "127.0.0.1", "-p", "\(ports.sip)", "-mp", "\(ports.media)", "-rtp_echo",
            "-m", "\(calls)", "-timeout", "75s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg",
        ], in: sipp.work, timeout: 85)
        return ProcessResult(status: result.status, output: result.output + "\n" + sipp.messageTrace())
    }

    /// Every SIP message sipp saw (its `_messages.log`), whole.
    static func fullMessageTrace(_ sipp: Sipp) throws -> String {
        try FileManager.default.contentsOfDirectory(atPath: sipp.work.path).filter { $0.hasSuffix("_messages.log") }
            .map { try String(contentsOf: sipp.work.appendingPathComponent($0), encoding: .utf8) }.joined(separator: "\n")
    }

    /// "-0.0513" → -513: amounts with 4 decimals as integer ten-thousandths (never floating point).
    static func minorUnits(_ text: String) throws -> Int64 {
        let negative = text.hasPrefix("-")
        let digits = negative ? String(text.dropFirst()) : text
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[1].count == 4, let whole = Int64(parts[0]), let fraction = Int64(parts[1]) else {
            throw ServerProcess.Failure("not an amount with 4 decimals: \(text)")
        }
        let value = whole * 10_000 + fraction
        return negative ? -value : value
    }

    static func amount(_ minorUnits: Int64) -> String {
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = abs(minorUnits)
        return sign + "\(magnitude / 10_000)." + String(format: "%04d", Int(magnitude % 10_000))
    }
}
