import Foundation
import XCTest

/// The calling card as issue 12 says a caller uses it, on access number 1000 (the embedded
/// defaults' calling card: the shipped script, no callback): `PIN#` then `destination#`
/// and nothing else reaches the trunk and is billed exactly; `111` during a call says the
/// balance to the caller while the forward stays up, and `#11` ends the forward and asks
/// for the next destination.
final class CallingCardAccessNumberTests: XCTestCase {
    static let rateDeck = """
        prefix,description,rate,connection fee,first increment,increment
        1000,Calling card access,0.0725,0.0150,30,6
        4930,Berlin,0.1200,0.0100,1,1
        4989,Munich,0.0900,0.0000,6,6
        """
    private let firstDestination = "4930777"
    private let secondDestination = "4989123"

    func testPINThenDestinationOnAccessNumber1000ReachesTheTrunkAndIsBilledExactly() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.rateDeck, name: "card-1000-data")
        let caller = try Sipp(name: "card-1000-caller")
        let pstn = try Sipp(name: "card-1000-pstn")
        try caller.makeDTMFPcap("123456#", named: "pin.pcap", seed: 91)
        try caller.makeDTMFPcap("\(firstDestination)#", named: "dest1.pcap", seed: 92)
        let callerPorts = Sipp.ports()
        let pstnPorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.callingCard(accessNumber: "1000", trunkPort: pstnPorts.sip, data: data, name: "card-1000")
        defer { server.stop() }

        let pstnRun = Background { try CallingCardTests.runPSTN(pstn, calls: 1, ports: pstnPorts) }
        let result = try caller.run(scenario: "calling-card-pin-dest-caller.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "1000", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 60)
        let pstnResult = try pstnRun.wait(timeout: 70)
        try server.waitForEvents(timeout: 10) { $0["message"] == "access leg settled" }
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(pstnResult.status, 0, "PSTN sipp failed:\n\(pstnResult.output)\n\(log)")

        // No menu: the PIN, the balance, the destination, the call.
        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["login", "balance", "ask-number", "balance-key", "check", "call"], log)
        // Parity: `simulate` with the same keys walks the same nodes (it goes on after the
        // call, where the caller hung up).
        try ScriptParity.assertParity(server, [
            .init(script: "calling-card", start: "login", arguments: ["--account", "alice", "--digits", "123456#",
                                                                      "--digits", "\(firstDestination)#"], endsEarly: true),
        ])
        // The PIN is masked in the log; the destination is what the caller typed.
        XCTAssertEqual(server.events { $0["step"] == "digits-collected" }.map { $0["value"] ?? "" }, ["******", firstDestination], log)
        XCTAssertTrue(try CallingCardTests.fullMessageTrace(pstn).contains("INVITE sip:\(firstDestination)@"),
                      "the trunk got the destination")
        XCTAssertEqual(server.events { $0["message"] == "bridged" }.count, 1, log)

        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.map { $0["leg"] ?? "" }.sorted(), ["a", "b"], "CDRs: \(rows)")
        let aLeg = try XCTUnwrap(rows.first { $0["leg"] == "a" }), bLeg = try XCTUnwrap(rows.first { $0["leg"] == "b" })
        XCTAssertEqual(aLeg["to"], "1000")
        XCTAssertEqual(aLeg["rate_prefix"], "1000")
        XCTAssertEqual(bLeg["to"], firstDestination)
        XCTAssertEqual(bLeg["rate_prefix"], "4930")
        XCTAssertEqual(bLeg["disposition"], "answered")
        XCTAssertEqual(bLeg["sip_cause"], "200")
        let total = try CallingCardTests.assertBilledExactly([aLeg, bLeg], plan: "card", data: data)
        XCTAssertTrue((3...20).contains(try OperatorCLI.talkSeconds(bLeg)), "the forward talked until the caller hung up")
        let account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.balance, "\(CallingCardTests.amount(100_000 - total)) EUR", "10.0000 − the legs' costs: \(rows)")
        XCTAssertEqual(account.openCalls, "0")
        XCTAssertEqual(account.callEntries, ["-" + CallingCardTests.amount(total)], "one settlement of A and B together")
    }

    func testBalanceKeyDuringACallIsHeardWhileTheForwardStaysUpThenHashElevenAsksForTheNextDestination() throws {
        let tshark = try Peer.require("tshark", package: "tshark")
        let data = try OperatorCLI.cardPlanWithAlice(deck: Self.rateDeck, name: "card-111-data")
        let caller = try Sipp(name: "card-111-caller")
        let pstn = try Sipp(name: "card-111-pstn")
        try caller.makeDTMFPcap("123456#", named: "pin.pcap", seed: 93)
        try caller.makeDTMFPcap("\(firstDestination)#", named: "dest1.pcap", seed: 94)
        try caller.makeDTMFPcap("111", named: "balance.pcap", seed: 95)
        try caller.makeDTMFPcap("#11", named: "end.pcap", seed: 96)
        try caller.makeDTMFPcap("\(secondDestination)#", named: "dest2.pcap", seed: 97)
        let callerPorts = Sipp.ports()
        let pstnPorts = (sip: callerPorts.sip + 1000, media: callerPorts.media + 2000)
        let server = try ServerProcess.callingCard(accessNumber: "1000", trunkPort: pstnPorts.sip, data: data, name: "card-111")
        defer { server.stop() }
        let capture = try RTPCapture(tshark: tshark, udpPort: callerPorts.media, directory: caller.work)

        let pstnRun = Background { try CallingCardTests.runPSTN(pstn, calls: 2, ports: pstnPorts) }
        let result = try caller.run(scenario: "calling-card-in-call-balance-caller.xml", target: "127.0.0.1:\(server.udpPort)",
                                    service: "1000", mediaPort: callerPorts.media, sipPort: callerPorts.sip, timeout: 80)
        let pstnResult = try pstnRun.wait(timeout: 90)
        try server.waitForEvents(timeout: 10) { $0["message"] == "access leg settled" }
        let packets = try capture.stop()
        let log = "server log:\n\(server.rawLog.suffix(8000))"
        XCTAssertEqual(result.status, 0, "caller sipp failed:\n\(result.output)\n\(log)")
        XCTAssertEqual(pstnResult.status, 0, "PSTN sipp failed:\n\(pstnResult.output)\n\(log)")

        let nodes = server.events { $0["step"] == "node-entered" }.map { $0["node"] ?? "" }
        XCTAssertEqual(nodes, ["login", "balance", "ask-number", "balance-key", "check", "call",
                               "ask-number", "balance-key", "check", "call"], log)
        try ScriptParity.assertParity(server, [
            .init(script: "calling-card", start: "login", arguments: [
                "--account", "alice", "--digits", "123456#", "--digits", "\(firstDestination)#",
                "--digits", "\(secondDestination)#", "--dial-outcome", "ended", "--dial-outcome", "ended",
            ], endsEarly: true),
        ])
        XCTAssertEqual(server.events { $0["message"] == "in-call key" }.map { $0["keys"] ?? "" }, ["111", "#11"], log)
        let pstnTrace = try CallingCardTests.fullMessageTrace(pstn)
        XCTAssertTrue(pstnTrace.contains("INVITE sip:\(firstDestination)@") && pstnTrace.contains("INVITE sip:\(secondDestination)@"),
                      "the trunk got a second INVITE, for the next destination\n\(pstnTrace)")

        // The balance was said during the first forward: after its answer, before #11 ended it.
        let said = try XCTUnwrap(server.events { $0["message"] == "say balance" }.first.flatMap(ServerProcess.time(of:)), log)
        let hashEleven = try XCTUnwrap(server.events { $0["message"] == "in-call key" && $0["keys"] == "#11" }.first
            .flatMap(ServerProcess.time(of:)), log)
        let rows = try OperatorCLI.cdrRows(data)
        let bLegs = rows.filter { $0["leg"] == "b" }
        XCTAssertEqual(bLegs.map { $0["to"] ?? "" }, [firstDestination, secondDestination], "\(rows)")
        let format = ISO8601DateFormatter()
        format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let firstAnswer = try XCTUnwrap(format.date(from: bLegs.first?["answer"] ?? ""))
        let firstEnd = try XCTUnwrap(format.date(from: bLegs.first?["end"] ?? ""))
        XCTAssertLessThan(firstAnswer, said, "the forward was up when the balance was said")
        XCTAssertGreaterThan(firstEnd.timeIntervalSince(said), 2, "the forward stayed up through the prompt, until #11")
        XCTAssertLessThan(abs(firstEnd.timeIntervalSince(hashEleven)), 1.5, "#11, not 111, ended the forward")

        // The caller heard it: speech on the caller's leg in the 3 s after 111, against
        // near silence (nobody talks on the forward) in the 3 s before it.
        let audio = packets.filter { $0.payloadType == 0 || $0.payloadType == 8 }
        func loudPackets(from start: Date, seconds: TimeInterval) -> Int {
            audio.filter { $0.captured >= start.timeIntervalSince1970 && $0.captured < start.timeIntervalSince1970 + seconds }
                .filter { AudioEnergy.rms($0) > 300 }.count
        }
        let during = loudPackets(from: said, seconds: 3)
        let before = loudPackets(from: said.addingTimeInterval(-3.5), seconds: 3)
        XCTAssertGreaterThan(during, 50, "the balance prompt's audio reached the caller (\(during) loud packets of 150)")
        XCTAssertLessThan(before, 10, "silence on the forward before 111 (\(before) loud packets)")
        print("111 during the call: \(during) loud packets in the 3 s after, \(before) in the 3 s before")

        // Billed as any two forwards: every leg exactly as the plan rates it.
        XCTAssertEqual(rows.count, 3, "\(rows)")
        let total = try CallingCardTests.assertBilledExactly(rows, plan: "card", data: data)
        let account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.balance, "\(CallingCardTests.amount(100_000 - total)) EUR")
        XCTAssertEqual(account.openCalls, "0")
    }
}

extension CallingCardTests {
    /// Asserts that each CDR row costs what `rates quote` makes of its talk time on its
    /// leg, to the last digit; returns their sum in ten-thousandths.
    @discardableResult
    static func assertBilledExactly(_ rows: [[String: String]], plan: String, data: URL,
                                    file: StaticString = #filePath, line: UInt = #line) throws -> Int64 {
        var total: Int64 = 0
        for row in rows {
            let quote = try OperatorCLI.quote(plan: plan, to: row["to"] ?? "", seconds: try OperatorCLI.talkSeconds(row),
                                              leg: row["leg"] ?? "b", data: data)
            XCTAssertEqual(row["billed_seconds"], quote.billedSeconds, "\(row)", file: file, line: line)
            XCTAssertEqual(row["cost"], quote.cost, "\(row)", file: file, line: line)
            total += try minorUnits(row["cost"] ?? "")
        }
        XCTAssertGreaterThan(total, 0, "the calls cost something", file: file, line: line)
        return total
    }
}
