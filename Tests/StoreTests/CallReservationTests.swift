import Billing
import Foundation
import XCTest
@testable import Store

/// `reserveForCall`: the dial step's maximum duration and reservation in one transaction.
final class CallReservationTests: StoreBackendTestCase {
    private func preparePlan(_ store: any TestedStore, chargesALeg: Bool) throws -> RatePlan {
        try store.importRates(plan: "p", currency: "EUR", chargesALeg: chargesALeg,
                              rates: [rate("33", "0.1200", 1, 1), rate("44", "0.6000", fee: "0.1000", 30, 6),
                                      rate("49", "0.4800", 1, 1)], at: at(0))
        return try XCTUnwrap(store.ratePlan(named: "p"))
    }

    func testReservesTheCostOfTheLongestAffordableCall() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store, chargesALeg: false)
            let id = try store.makeAccount("alice", balance: "1").id!
            let outcome = try store.reserveForCall(account: id, plan: plan, aLeg: ALegCharge(number: "3361", elapsedSeconds: 20),
                                                   bNumber: "447700900123", limit: 3_600, call: CallContext(), replacing: nil, at: at(0))
            // 0.10 + 0.60 × t/60 ≤ 1.00 → t = 90 (a 30/6 boundary); the A leg is free on this plan.
            XCTAssertEqual(outcome.maximumDuration?.seconds, 90)
            XCTAssertEqual(outcome.reservation?.amount, eur("1"))
            XCTAssertEqual(outcome.reservation?.maxDurationSeconds, 90)
            XCTAssertEqual(try store.freeBalance(account: id), eur("0"))
        }
    }

    func testCountsAChargedALegAndItsElapsedTime() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store, chargesALeg: true)
            let id = try store.makeAccount("alice", balance: "0.6").id!
            // Per second: A 0.002 + B 0.008. A already 30 s (0.06): 0.06 + 0.01 t ≤ 0.60 → t = 54.
            let outcome = try store.reserveForCall(account: id, plan: plan, aLeg: ALegCharge(number: "331", elapsedSeconds: 30),
                                                   bNumber: "491", limit: 3_600, call: CallContext(), replacing: nil, at: at(0))
            XCTAssertEqual(outcome.maximumDuration?.seconds, 54)
            XCTAssertEqual(outcome.maximumDuration?.aLegCost, eur("0.168"))
            XCTAssertEqual(outcome.reservation?.amount, eur("0.6"))
        }
    }

    func testResizesTheCallsEarlierReservation() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store, chargesALeg: false)
            let id = try store.makeAccount("alice", balance: "2", maxConcurrentCalls: 1).id!
            let first = try XCTUnwrap(store.reserve(account: id, amount: eur("0.2"), maxDurationSeconds: nil, call: CallContext(), at: at(0)).reservation)
            // A new reservation would break the one-call limit; resizing the call's own does not.
            let resized = try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "491", limit: 100,
                                                   call: CallContext(), replacing: first.id, at: at(5))
            XCTAssertEqual(resized.reservation?.id, first.id)
            XCTAssertEqual(resized.maximumDuration?.seconds, 100, "capped by the limit")
            XCTAssertEqual(resized.reservation?.amount, eur("0.8"))
            XCTAssertEqual(try store.openReservations(account: id).map(\.amount), [eur("0.8")])
            XCTAssertEqual(try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "491", limit: 100,
                                                    call: CallContext(), replacing: nil, at: at(5)),
                           .refused(.concurrencyLimitReached(limit: 1)))
            _ = try store.settle(reservation: first.id!, endings: [], at: at(6))
            XCTAssertThrowsError(try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "491", limit: 100,
                                                          call: CallContext(), replacing: first.id, at: at(7))) {
                XCTAssertEqual($0 as? StoreError, .reservationAlreadySettled(first.id!))
            }
        }
    }

    func testTheDailyLimitBoundsTheDuration() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store, chargesALeg: false)
            let id = try store.makeAccount("alice", balance: "100", dailySpendLimit: "0.5").id!
            let outcome = try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "4420", limit: 3_600,
                                                   call: CallContext(), replacing: nil, at: at(0))
            // 36 s costs 0.10 + 0.36 = 0.46; the next step (42 s) would cost 0.52 > 0.50.
            XCTAssertEqual(outcome.maximumDuration?.seconds, 36)
            XCTAssertEqual(outcome.reservation?.amount, eur("0.46"))
            let capped = try store.makeAccount("bob", balance: "100", dailySpendLimit: "0.05").id!
            XCTAssertEqual(try store.reserveForCall(account: capped, plan: plan, aLeg: nil, bNumber: "4420", limit: 3_600,
                                                    call: CallContext(), replacing: nil, at: at(0)),
                           .refused(.dailySpendLimitReached(limit: eur("0.05"), spentAndReserved: eur("0"))))
        }
    }

    func testRefusesWhenNotEvenTheFirstIncrementIsAffordableAndThrowsForUnservedDestinations() throws {
        try onEachBackend { store in
            let plan = try preparePlan(store, chargesALeg: false)
            let id = try store.makeAccount("alice", balance: "0.05").id!
            XCTAssertEqual(try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "4420", limit: 3_600,
                                                    call: CallContext(), replacing: nil, at: at(0)),
                           .refused(.insufficientFunds(free: eur("0.05"), requested: eur("0.4"))))
            XCTAssertThrowsError(try store.reserveForCall(account: id, plan: plan, aLeg: nil, bNumber: "1212", limit: 3_600,
                                                          call: CallContext(), replacing: nil, at: at(0))) {
                XCTAssertEqual($0 as? RateError, .noRate(number: "1212", plan: "p"))
            }
            XCTAssertEqual(try store.openReservations(account: id), [])
        }
    }
}
