import ArgumentParser
import Billing
import Foundation
import Store
import XCTest
@testable import SwitchbackCLI

final class CDRCommandTests: XCTestCase {
    /// Two settled calls for alice (one on 2026-01-01, one on 2026-01-02) and one for bob.
    private func seed(_ directory: TemporaryDataDirectory) throws {
        let deck = try directory.file("deck.csv", contents: "44,\"United Kingdom, all\",0.6000,0.1000,30,6\n33,France,0.1200,0,1,1\n")
        try runOperatorCommand(RatesCommand.self, ["import", "standard", deck], in: directory)
        try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "p", "--balance", "10", "--plan", "standard"], in: directory)
        try runOperatorCommand(AccountsCommand.self, ["add", "bob", "--password", "p", "--balance", "10", "--plan", "standard"], in: directory)
        let store = try directory.store()
        let plan = try XCTUnwrap(store.ratePlan(named: "standard"))
        let day1 = Date(timeIntervalSince1970: 1_767_268_800)  // 2026-01-01T12:00:00Z
        func call(_ login: String, at start: Date, to number: String, talk: TimeInterval) throws {
            let id = try XCTUnwrap(store.account(login: login)?.id)
            let reservation = try XCTUnwrap(store.reserve(account: id, amount: eur("5"), maxDurationSeconds: nil,
                                                          call: CallContext(campaign: "web-callback", trigger: "web"), at: start).reservation)
            let aLeg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .a, fromNumber: "1001", toNumber: "33612345678", startedAt: start, rate: try plan.rate(for: "33612345678"), charged: false))
            try store.recordAnswer(leg: aLeg.id!, at: start.addingTimeInterval(2))
            let bLeg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .b, fromNumber: "33612345678", toNumber: number, startedAt: start.addingTimeInterval(3),
                rate: try plan.rate(for: number), charged: true))
            try store.recordAnswer(leg: bLeg.id!, at: start.addingTimeInterval(5))
            let end = start.addingTimeInterval(5 + talk)
            _ = try store.settle(reservation: reservation.id!, endings: [
                LegEnding(legID: bLeg.id!, endedAt: end, disposition: .answered, sipCause: 200),
                LegEnding(legID: aLeg.id!, endedAt: end, disposition: .answered, sipCause: 200)], at: end)
        }
        try call("alice", at: day1, to: "447700900123", talk: 95)
        try call("bob", at: day1.addingTimeInterval(60), to: "447700900999", talk: 10)
        try call("alice", at: day1.addingTimeInterval(86_400), to: "447700900123", talk: 30)
    }

    func testExportsOneRowPerLegAsCSV() throws {
        let directory = try TemporaryDataDirectory()
        try seed(directory)
        let csv = try runOperatorCommand(CDRCommand.self, ["export", "--format", "csv"], in: directory)
        let rows = csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }
        XCTAssertEqual(rows.count, 7)
        XCTAssertEqual(rows[0], "id,account,campaign,trigger,leg,from,to,start,answer,end,billed_seconds,rate_prefix,"
            + "rate_per_minute,connection_fee,increments,cost,currency,disposition,sip_cause")
        XCTAssertEqual(rows[1], "1,alice,web-callback,web,a,1001,33612345678,2026-01-01T12:00:00.000Z,2026-01-01T12:00:02.000Z,"
            + "2026-01-01T12:01:40.000Z,98,33,0.1200,0.0000,1/1,0.0000,EUR,answered,200")
        XCTAssertEqual(rows[2], "2,alice,web-callback,web,b,33612345678,447700900123,2026-01-01T12:00:03.000Z,2026-01-01T12:00:05.000Z,"
            + "2026-01-01T12:01:40.000Z,96,44,0.6000,0.1000,30/6,1.0600,EUR,answered,200")
        XCTAssertTrue(rows[4].hasPrefix("4,bob,"), rows[4])
        XCTAssertTrue(rows[4].contains(",30,44,0.6000,0.1000,30/6,0.4000,EUR,"), rows[4])  // 10 s → 30 s: 0.10 + 0.30
    }

    func testFiltersBySinceAndAccountAndWritesAFile() throws {
        let directory = try TemporaryDataDirectory()
        try seed(directory)
        let aliceOnly = try runOperatorCommand(CDRCommand.self, ["export", "--account", "alice", "--format", "csv"], in: directory)
        XCTAssertEqual(aliceOnly.components(separatedBy: "\r\n").filter { $0.contains(",alice,") }.count, 4)
        XCTAssertFalse(aliceOnly.contains(",bob,"))
        let secondDay = try runOperatorCommand(CDRCommand.self, ["export", "--since", "2026-01-02", "--format", "csv"], in: directory)
        XCTAssertEqual(secondDay.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count, 3)
        let afternoon = try runOperatorCommand(CDRCommand.self, ["export", "--since", "2026-01-01T12:00:30Z", "--format", "csv"], in: directory)
        XCTAssertEqual(afternoon.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count, 5)
        let file = try directory.file("cdr.csv")
        XCTAssertEqual(try runOperatorCommand(CDRCommand.self, ["export", "--format", "csv", "--output", file], in: directory), "")
        XCTAssertEqual(try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "\r\n").filter { !$0.isEmpty }.count, 7)

        XCTAssertThrowsError(try CDRCommand.parseAsRoot(["export"]), "--format is required")
        XCTAssertThrowsError(try CDRCommand.parseAsRoot(["export", "--format", "xml"]))
        XCTAssertThrowsError(try CDRCommand.parseAsRoot(["export", "--format", "csv", "--since", "yesterday"])) {
            XCTAssertTrue(CDRCommand.message(for: $0).contains("--since \"yesterday\" is not a date"), CDRCommand.message(for: $0))
        }
        XCTAssertThrowsError(try runOperatorCommand(CDRCommand.self, ["export", "--format", "csv", "--account", "zed"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "no account zed")
        }
    }
}
