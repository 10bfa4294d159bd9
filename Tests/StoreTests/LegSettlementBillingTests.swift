import Billing
import Foundation
import XCTest
@testable import Store

/// `settleLeg`: a forward's B leg ends while the access leg goes on (`#11`, busy, the
/// callee hangs up). It is charged at once, CDR, ledger entry and balance together (under
/// a settled reservation of its own), and the reservation it shared with the A leg stays
/// open for the A leg alone.
final class LegSettlementBillingTests: StoreBackendTestCase {
    /// Plan charging A legs: access number 800 at 0.06/min (1/1), destinations 49 at 0.48/min
    /// (1/1) and 44 at 0.60/min + 0.10 fee (30/6).
    private func preparePlan(_ store: any TestedStore) throws -> RatePlan {
        try store.importRates(plan: "card", currency: "EUR", chargesALeg: true,
                              rates: [rate("800", "0.0600", 1, 1), rate("49", "0.4800", 1, 1),
                                      rate("44", "0.6000", fee: "0.1000", 30, 6)], at: at(0))
        return try XCTUnwrap(store.ratePlan(named: "card"))
    }

    /// An access leg answered at 0 and a forward to `bNumber` reserved jointly at 20 s.
    private func jointCall(_ store: any TestedStore, _ plan: RatePlan, account: Int64, bNumber: String)
        throws -> (reservation: Reservation, aLeg: CallLeg, bLeg: CallLeg) {
        let access = try XCTUnwrap(store.reserveForCall(
            account: account, plan: plan, aLeg: nil, bNumber: "800", limit: 3_600, call: CallContext(trigger: "card"),
            replacing: nil, at: at(0)).reservation)
        let aLeg = try store.openLeg(reservation: access.id!, NewCallLeg(
            leg: .a, fromNumber: "5551234", toNumber: "800", startedAt: at(0), rate: try plan.rate(for: "800"), charged: true))
        try store.recordAnswer(leg: aLeg.id!, at: at(0))
        let joint = try XCTUnwrap(store.reserveForCall(
            account: account, plan: plan, aLeg: ALegCharge(number: "800", elapsedSeconds: 20), bNumber: bNumber,
            limit: 3_600, call: CallContext(trigger: "card"), replacing: access.id, at: at(20)).reservation)
        XCTAssertEqual(joint.id, access.id, "the forward resizes the access leg's reservation")
        let bLeg = try store.openLeg(reservation: joint.id!, NewCallLeg(
            leg: .b, fromNumber: "5551234", toNumber: bNumber, startedAt: at(20), rate: try plan.rate(for: bNumber),
            charged: true))
        return (joint, aLeg, bLeg)
    }

    func testTheBLegIsChargedAtOnceAndTheAccessLegLaterWithoutChargingBTwice() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store)
            let id = try store.makeAccount("alice", balance: "1").id!
            let (reservation, aLeg, bLeg) = try jointCall(store, plan, account: id, bNumber: "4930777")
            // 1.00 = A (20 + t) × 0.001/s + B t × 0.008/s → 0.02 + 0.009 t ≤ 1 → t = 108: 0.128 + 0.864 = 0.992.
            XCTAssertEqual(reservation.maxDurationSeconds, 108)
            XCTAssertEqual(reservation.amount, eur("0.992"))
            try store.recordAnswer(leg: bLeg.id!, at: at(25))

            // #11 at 65 s: B talked 40 s → 40 × 0.008 = 0.32, charged now.
            let leg = try store.settleLeg(reservation: reservation.id!,
                                          LegEnding(legID: bLeg.id!, endedAt: at(65), disposition: .answered, sipCause: 200),
                                          at: at(65))
            XCTAssertEqual(leg.charged, eur("0.32"))
            XCTAssertEqual(leg.balanceAfter, eur("0.68"))
            XCTAssertEqual(leg.legs.map(\.id), [bLeg.id])
            XCTAssertEqual(leg.legs.first?.billedSeconds, 40)
            XCTAssertEqual(leg.legs.first?.disposition, .answered)
            XCTAssertEqual(leg.legs.first?.isOpen, false)
            // The leg moved to a reservation of its own, settled with its one ledger entry.
            XCTAssertNotEqual(leg.reservation.id, reservation.id)
            XCTAssertEqual(leg.legs.first?.reservationID, leg.reservation.id)
            XCTAssertEqual(leg.reservation.state, .settled)
            XCTAssertEqual(leg.reservation.charged, eur("0.32"))
            XCTAssertEqual(try store.openReservations(account: id).map(\.id), [reservation.id])
            XCTAssertEqual(try store.openReservations(account: id).map(\.amount), [eur("0.672")],
                           "the spent 0.32 is no longer held")
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0.68"))
            XCTAssertEqual(try store.freeBalance(account: id), eur("0.008"), "0.68 booked − 0.672 held")
            XCTAssertEqual(try store.ledger(account: id).filter { $0.kind == .call }.map(\.amount), [eur("-0.32")])

            // The access leg goes on alone: its reservation shrinks back to cover A only.
            let alone = try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "800", limit: 3_600,
                                                 call: CallContext(trigger: "card"), replacing: reservation.id, at: at(66))
            // 0.68 at 0.001/s from A's answer: 680 s.
            XCTAssertEqual(alone.maximumDuration?.seconds, 680)
            XCTAssertEqual(alone.reservation?.amount, eur("0.68"))

            // Hang-up at 100 s: only A is charged now (100 s × 0.001 = 0.10).
            let settlement = try store.settle(reservation: reservation.id!,
                                              endings: [LegEnding(legID: aLeg.id!, endedAt: at(100), disposition: .answered)],
                                              at: at(100))
            XCTAssertEqual(settlement.charged, eur("0.1"))
            XCTAssertEqual(settlement.balanceAfter, eur("0.58"))
            XCTAssertEqual(settlement.reservation.charged, eur("0.1"))
            XCTAssertEqual(settlement.legs.map(\.id), [aLeg.id], "B left this reservation when it was charged")
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0.58"))
            XCTAssertEqual(try store.freeBalance(account: id), eur("0.58"))
            XCTAssertEqual(try store.ledger(account: id).filter { $0.kind == .call }.map(\.amount), [eur("-0.32"), eur("-0.1")])
            let cdrs = try store.callLegs(since: nil, account: id)
            XCTAssertEqual(cdrs.map(\.leg), [.a, .b])
            XCTAssertEqual(cdrs.map(\.billedSeconds), [100, 40])
            XCTAssertTrue(cdrs.allSatisfy { !$0.isOpen })
        }
    }

    func testAnUnansweredLegIsACDRWithNoChargeAndNoLedgerEntry() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store)
            let id = try store.makeAccount("alice", balance: "1").id!
            let (reservation, _, bLeg) = try jointCall(store, plan, account: id, bNumber: "4930777")
            let busy = try store.settleLeg(reservation: reservation.id!,
                                           LegEnding(legID: bLeg.id!, endedAt: at(23), disposition: .busy, sipCause: 486),
                                           at: at(23))
            XCTAssertEqual(busy.charged, eur("0"))
            XCTAssertEqual(busy.balanceAfter, eur("1"))
            XCTAssertEqual(busy.reservation.charged, eur("0"))
            XCTAssertEqual(try store.openReservations(account: id).map(\.amount), [reservation.amount],
                           "nothing spent, nothing released yet")
            let cdr = try XCTUnwrap(store.callLegs(since: nil, account: id).first { $0.id == bLeg.id })
            XCTAssertEqual(cdr.disposition, .busy)
            XCTAssertEqual(cdr.sipCause, 486)
            XCTAssertEqual(cdr.billedSeconds, 0)
            XCTAssertEqual(cdr.cost, eur("0"))
            XCTAssertEqual(cdr.endedAt, at(23))
            XCTAssertTrue(try store.ledger(account: id).filter { $0.kind == .call }.isEmpty)
        }
    }

    func testTheBLegIsNeverChargedBeyondTheReservedDuration() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store)
            let id = try store.makeAccount("alice", balance: "1").id!
            let (reservation, _, bLeg) = try jointCall(store, plan, account: id, bNumber: "4930777")
            try store.recordAnswer(leg: bLeg.id!, at: at(25))
            // The cut came late: 110 s answered, but 108 s were reserved.
            let leg = try store.settleLeg(reservation: reservation.id!,
                                          LegEnding(legID: bLeg.id!, endedAt: at(135), disposition: .outOfCredit),
                                          at: at(135))
            XCTAssertEqual(leg.legs.first?.billedSeconds, 108)
            XCTAssertEqual(leg.charged, eur("0.864"))
        }
    }

    func testRefusesAnotherCallsLegALegClosedBeforeAndASettledReservation() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store)
            let alice = try store.makeAccount("alice", balance: "1").id!
            let bob = try store.makeAccount("bob", balance: "1").id!
            let (first, _, firstB) = try jointCall(store, plan, account: alice, bNumber: "4930777")
            let (second, secondA, _) = try jointCall(store, plan, account: bob, bNumber: "4420")
            XCTAssertThrowsError(try store.settleLeg(reservation: first.id!, LegEnding(legID: secondA.id!, endedAt: at(30),
                                                                                        disposition: .answered), at: at(30))) {
                XCTAssertEqual($0 as? StoreError, .legNotInReservation(leg: secondA.id!, reservation: first.id!))
            }
            XCTAssertThrowsError(try store.settleLeg(reservation: first.id!, LegEnding(legID: 9_999, endedAt: at(30),
                                                                                        disposition: .answered), at: at(30))) {
                XCTAssertEqual($0 as? StoreError, .unknownCallLeg(9_999))
            }
            _ = try store.settleLeg(reservation: first.id!, LegEnding(legID: firstB.id!, endedAt: at(30), disposition: .noAnswer),
                                    at: at(30))
            XCTAssertThrowsError(try store.settleLeg(reservation: first.id!, LegEnding(legID: firstB.id!, endedAt: at(31),
                                                                                        disposition: .answered), at: at(31))) {
                XCTAssertEqual($0 as? LegSettlementError, .legAlreadyClosed(firstB.id!))
            }
            _ = try store.settle(reservation: second.id!, endings: [], at: at(40))
            XCTAssertThrowsError(try store.settleLeg(reservation: second.id!, LegEnding(legID: secondA.id!, endedAt: at(41),
                                                                                         disposition: .answered), at: at(41))) {
                XCTAssertEqual($0 as? StoreError, .reservationAlreadySettled(second.id!))
            }
        }
    }

    func testRecoveryAfterACrashChargesOnlyTheLegsLeftOpen() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store)
            let id = try store.makeAccount("alice", balance: "1").id!
            let (reservation, aLeg, bLeg) = try jointCall(store, plan, account: id, bNumber: "4930777")
            try store.recordAnswer(leg: bLeg.id!, at: at(25))
            _ = try store.settleLeg(reservation: reservation.id!,
                                    LegEnding(legID: bLeg.id!, endedAt: at(35), disposition: .answered), at: at(35))
            try store.recordProgress(legs: [aLeg.id!], at: at(50))
            // The process dies; the next start closes A at its last heartbeat (50 s → 0.05).
            let recovered = try store.recoverOpenLegs(at: at(500))
            XCTAssertEqual(recovered.count, 1)
            XCTAssertEqual(recovered.first?.charged, eur("0.05"))
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0.87"), "1 − 0.08 (B, 10 s) − 0.05 (A, 50 s)")
            XCTAssertEqual(try store.ledger(account: id).filter { $0.kind == .call }.map(\.amount), [eur("-0.08"), eur("-0.05")])
        }
    }
}
