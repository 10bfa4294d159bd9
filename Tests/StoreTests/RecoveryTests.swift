import Billing
import Foundation
import XCTest
@testable import Store

/// A crash in the middle of calls is simulated by recording open legs, dropping the store
/// without settling, and opening the file again as the next start would.
final class RecoveryTests: StoreBackendTestCase {
    func testRecoverySettlesOpenLegsFromWhatWasRecordedAndOnlyOnce() throws {
        try onEachBackend(restartable: { open in
            var ids: (account: Int64, talking: Int64, ringing: Int64, aLeg: Int64, reservation: Int64, idle: Int64)
            do {
                let store = try open()
                try store.importRates(plan: "p", currency: "EUR", chargesALeg: true,
                                      rates: [rate("33", "0.1200", 1, 1), rate("44", "0.6000", fee: "0.1000", 30, 6)], at: at(0))
                let plan = try XCTUnwrap(store.ratePlan(named: "p"))
                let account = try store.makeAccount("alice", balance: "10", plan: "p").id!
                let reservation = try XCTUnwrap(store.reserve(account: account, amount: eur("5"), maxDurationSeconds: 400,
                                                              call: CallContext(campaign: "web-callback", trigger: "web"), at: at(0)).reservation)
                let aLeg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                    leg: .a, fromNumber: "1001", toNumber: "3361", startedAt: at(0), rate: try plan.rate(for: "3361"), charged: true))
                try store.recordAnswer(leg: aLeg.id!, at: at(4))
                let bLeg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                    leg: .b, fromNumber: "3361", toNumber: "4477", startedAt: at(5), rate: try plan.rate(for: "4477"), charged: true))
                try store.recordAnswer(leg: bLeg.id!, at: at(10))
                try store.recordProgress(legs: [aLeg.id!, bLeg.id!], at: at(70))
                try store.recordProgress(legs: [aLeg.id!, bLeg.id!], at: at(101))
                // A second call still ringing when the process died, and a reservation with no leg yet.
                let second = try XCTUnwrap(store.reserve(account: account, amount: eur("1"), maxDurationSeconds: nil,
                                                         call: CallContext(), at: at(90)).reservation)
                let ringing = try store.openLeg(reservation: second.id!, NewCallLeg(
                    leg: .b, fromNumber: "1", toNumber: "4400", startedAt: at(95), rate: try plan.rate(for: "4400"), charged: true))
                let idle = try XCTUnwrap(store.reserve(account: account, amount: eur("1"), maxDurationSeconds: nil,
                                                       call: CallContext(), at: at(99)).reservation)
                XCTAssertEqual(try store.freeBalance(account: account), eur("3"))
                ids = (account, bLeg.id!, ringing.id!, aLeg.id!, reservation.id!, idle.id!)
            }  // kill -9: nothing settled.

            let restarted = try open()
            let settlements = try restarted.recoverOpenLegs(at: at(1_000))
            XCTAssertEqual(settlements.count, 3)
            // A: 97 s (4 → 101) at 0.12/min per second = 0.194; B: 91 s → 96 s on 30/6 = 0.10 + 0.96 = 1.06.
            let first = try XCTUnwrap(settlements.first { $0.reservation.id == ids.reservation })
            XCTAssertEqual(first.charged, eur("1.254"))
            let legs = try restarted.callLegs(since: nil, account: ids.account)
            let byID = Dictionary(uniqueKeysWithValues: legs.map { ($0.id!, $0) })
            XCTAssertEqual(byID[ids.aLeg]?.billedSeconds, 97)
            XCTAssertEqual(byID[ids.talking]?.billedSeconds, 96)
            XCTAssertEqual(byID[ids.talking]?.endedAt, at(101))
            XCTAssertEqual(byID[ids.talking]?.disposition, .interrupted)
            XCTAssertEqual(byID[ids.ringing]?.cost, eur("0"))
            XCTAssertEqual(byID[ids.ringing]?.disposition, .interrupted)
            XCTAssertTrue(legs.allSatisfy { !$0.isOpen })
            XCTAssertEqual(try restarted.account(id: ids.account)?.balance, eur("8.746"))
            XCTAssertEqual(try restarted.freeBalance(account: ids.account), eur("8.746"))
            XCTAssertEqual(try restarted.ledger(account: ids.account).last?.note, "recovered after restart")

            // A second start finds nothing to do: nothing is charged twice.
            let again = try open()
            XCTAssertEqual(try again.recoverOpenLegs(at: at(2_000)), [])
            XCTAssertEqual(try again.account(id: ids.account)?.balance, eur("8.746"))
            let ledger = try again.ledger(account: ids.account)
            XCTAssertEqual(ledger.reduce(Int64(0)) { $0 + $1.amountMinorUnits }, 87_460)
        })
    }
}
