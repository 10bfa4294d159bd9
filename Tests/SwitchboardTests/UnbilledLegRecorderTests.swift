import Billing
import Foundation
import IVR
import Store
import XCTest
@testable import Switchboard

/// Legs no reservation pays for (a fork's losers, an unbilled dial's legs) leave one CDR
/// each, at no charge, with their disposition.
final class UnbilledLegRecorderTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_800_000_000)

    private func record(_ outcome: DialOutcome, answered: Bool, status: Int?, login: String? = nil) -> OutboundLegRecord {
        var context = CallContext(caller: "5551234", dnis: "200")
        context.variables["campaign"] = .string("forward")
        if let login { context.variables["account"] = .record(["login": .string(login)]) }
        return OutboundLegRecord(callID: "b1", aLegCallID: "a1", context: context, trunk: "pstn", dialled: "4930777",
                                 number: "4930777", callerID: "49891234", startedAt: start,
                                 answeredAt: answered ? start.addingTimeInterval(2) : nil,
                                 endedAt: start.addingTimeInterval(9), outcome: outcome, sipStatus: status)
    }

    func testEachOutcomeIsItsDisposition() {
        let rows: [(DialOutcome, Bool, CallDisposition)] = [
            (.ended, true, .answered), (.ended, false, .cancelled), (.busy, false, .busy),
            (.noAnswer, false, .noAnswer), (.failed, false, .failed), (.outOfCredit, true, .outOfCredit),
        ]
        for (outcome, answered, expected) in rows {
            XCTAssertEqual(UnbilledLegRecorder.disposition(of: record(outcome, answered: answered, status: nil)), expected,
                           "\(outcome) answered=\(answered)")
        }
    }

    func testTheLegIsWrittenAtNoChargeForTheCallsAccount() throws {
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let account = try store.createAccount(NewAccount(login: "alice", password: "pw", sipRealm: "r",
                                                         initialBalance: Money(minorUnits: 500, currency: "EUR")), at: start)
        let loser = try UnbilledLegRecorder.leg(record(.ended, answered: false, status: 487, login: "alice"), store: store)
        XCTAssertEqual(loser.accountID, account.id)
        XCTAssertEqual(loser.disposition, .cancelled)
        XCTAssertEqual(loser.sipCause, 487)
        XCTAssertEqual(loser.leg, .b)
        XCTAssertEqual(loser.toNumber, "4930777")
        XCTAssertEqual(loser.fromNumber, "49891234")
        XCTAssertEqual(loser.campaign, "forward")
        let anonymous = try UnbilledLegRecorder.leg(record(.ended, answered: true, status: nil), store: store)
        XCTAssertNil(anonymous.accountID)
        XCTAssertEqual(anonymous.sipCause, 200, "an answered leg without a final status was a 200")
        _ = try store.recordUnbilledLeg(loser)
        _ = try store.recordUnbilledLeg(anonymous)
        let legs = try store.callLegs(since: nil, account: nil)
        XCTAssertEqual(legs.count, 2)
        XCTAssertEqual(legs.map(\.costMinorUnits), [0, 0])
        XCTAssertEqual(try store.account(login: "alice")?.balanceMinorUnits, 500, "nothing was charged")
    }
}
