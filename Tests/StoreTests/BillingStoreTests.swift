import Billing
import Foundation
import XCTest
@testable import Store

final class BillingStoreTests: StoreBackendTestCase {
    private func planStore(_ store: any TestedStore) throws -> RatePlan {
        try store.importRates(plan: "standard", currency: "EUR", chargesALeg: false,
                              rates: [rate("33", "0.1200", 1, 1), rate("44", "0.6000", fee: "0.1000", 30, 6)], at: at(0))
        return try XCTUnwrap(store.ratePlan(named: "standard"))
    }

    func testReserveRefusesMoreThanTheFreeBalance() throws {
        try onEachBackend { store in
            _ = try planStore(store)
            let id = try store.makeAccount("alice", balance: "1.0000").id!
            let first = try XCTUnwrap(store.reserve(account: id, amount: eur("0.6"), maxDurationSeconds: nil,
                                                    call: CallContext(), at: at(0)).reservation)
            XCTAssertEqual(first.amount, eur("0.6"))
            XCTAssertEqual(try store.freeBalance(account: id), eur("0.4"))
            XCTAssertEqual(try store.reserve(account: id, amount: eur("0.4001"), maxDurationSeconds: nil, call: CallContext(), at: at(0)),
                           .refused(.insufficientFunds(free: eur("0.4"), requested: eur("0.4001"))))
            XCTAssertNotNil(try store.reserve(account: id, amount: eur("0.4"), maxDurationSeconds: nil, call: CallContext(), at: at(0)).reservation)
            XCTAssertEqual(try store.freeBalance(account: id), eur("0"))
            XCTAssertEqual(try store.account(id: id)?.balance, eur("1"), "reserving does not touch the booked balance")
        }
    }

    func testReserveHonoursConcurrencyDailyLimitAndLock() throws {
        try onEachBackend { store in
            _ = try planStore(store)
            let id = try store.makeAccount("alice", balance: "100", maxConcurrentCalls: 2, dailySpendLimit: "5").id!
            let r1 = try XCTUnwrap(store.reserve(account: id, amount: eur("1"), maxDurationSeconds: nil, call: CallContext(), at: at(0)).reservation)
            _ = try XCTUnwrap(store.reserve(account: id, amount: eur("1"), maxDurationSeconds: nil, call: CallContext(), at: at(0)).reservation)
            XCTAssertEqual(try store.reserve(account: id, amount: eur("1"), maxDurationSeconds: nil, call: CallContext(), at: at(0)),
                           .refused(.concurrencyLimitReached(limit: 2)))
            // Settle r1 at a real cost of 3.00 (a leg of 5 minutes at 0.60/min on prefix 44).
            let plan = try XCTUnwrap(store.ratePlan(named: "standard"))
            let leg = try store.openLeg(reservation: r1.id!, NewCallLeg(leg: .b, fromNumber: "331", toNumber: "4420",
                                                                        startedAt: at(0), rate: try plan.rate(for: "4420"), charged: true))
            try store.recordAnswer(leg: leg.id!, at: at(10))
            _ = try store.settle(reservation: r1.id!, endings: [LegEnding(legID: leg.id!, endedAt: at(310), disposition: .answered)], at: at(310))
            // Spent today 3.10 (0.10 fee + 3.00), 1.00 still reserved: 0.90 left under the 5.00 limit.
            XCTAssertEqual(try store.reserve(account: id, amount: eur("1"), maxDurationSeconds: nil, call: CallContext(), at: at(400)),
                           .refused(.dailySpendLimitReached(limit: eur("5"), spentAndReserved: eur("4.1"))))
            XCTAssertNotNil(try store.reserve(account: id, amount: eur("0.9"), maxDurationSeconds: nil, call: CallContext(), at: at(400)).reservation)
            // The next UTC day the spending starts again from zero (reservations still count).
            XCTAssertEqual(try store.reserve(account: id, amount: eur("3.1"), maxDurationSeconds: nil, call: CallContext(), at: at(86_400)),
                           .refused(.concurrencyLimitReached(limit: 2)))
            try store.setState(.locked, account: id)
            XCTAssertEqual(try store.reserve(account: id, amount: eur("0"), maxDurationSeconds: nil, call: CallContext(), at: at(0)),
                           .refused(.accountLocked))
        }
    }

    func testSettlementWritesCDRsLedgerAndBalanceTogether() throws {
        try onEachBackend { store in
            let plan = try planStore(store)
            let id = try store.makeAccount("alice", balance: "10").id!
            let max = try plan.maximumDuration(freeBalance: try store.freeBalance(account: id), aNumber: "33612345678",
                                               bNumber: "447700900123", limit: 600)
            XCTAssertEqual(max.seconds, 600)
            let reservation = try XCTUnwrap(store.reserve(account: id, amount: max.totalCost, maxDurationSeconds: max.seconds,
                                                          call: CallContext(campaign: "web-callback", trigger: "web"), at: at(0)).reservation)
            let aLeg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .a, fromNumber: "1001", toNumber: "33612345678", startedAt: at(0),
                rate: try plan.rate(for: "33612345678"), charged: plan.chargesALeg))
            try store.recordAnswer(leg: aLeg.id!, at: at(5))
            let bLeg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .b, fromNumber: "33612345678", toNumber: "447700900123", startedAt: at(6),
                rate: try plan.rate(for: "447700900123"), charged: true))
            try store.recordAnswer(leg: bLeg.id!, at: at(10))
            let settlement = try store.settle(reservation: reservation.id!, endings: [
                LegEnding(legID: bLeg.id!, endedAt: at(105), disposition: .answered, sipCause: 200),
                LegEnding(legID: aLeg.id!, endedAt: at(106), disposition: .answered, sipCause: 200),
            ], at: at(106))
            // B: 95 s on 30/6 → 96 s; 0.10 + 0.60 × 96/60 = 1.06. A: not charged on this plan.
            XCTAssertEqual(settlement.charged, eur("1.06"))
            XCTAssertEqual(settlement.balanceAfter, eur("8.94"))
            XCTAssertEqual(try store.account(id: id)?.balance, eur("8.94"))
            XCTAssertEqual(try store.freeBalance(account: id), eur("8.94"))
            let cdrs = try store.callLegs(since: nil, account: id)
            XCTAssertEqual(cdrs.map(\.leg), [.a, .b])
            XCTAssertEqual(cdrs.map(\.billedSeconds), [101, 96])
            XCTAssertEqual(cdrs.map(\.cost), [eur("0"), eur("1.06")])
            XCTAssertEqual(cdrs.map(\.isOpen), [false, false])
            XCTAssertEqual(cdrs[1].campaign, "web-callback")
            XCTAssertEqual(cdrs[1].sipCause, 200)
            let ledger = try store.ledger(account: id)
            XCTAssertEqual(ledger.last?.kind, .call)
            XCTAssertEqual(ledger.last?.amount, eur("-1.06"))
            XCTAssertEqual(ledger.last?.reservationID, reservation.id)
            XCTAssertThrowsError(try store.settle(reservation: reservation.id!, endings: [], at: at(200))) {
                XCTAssertEqual($0 as? StoreError, .reservationAlreadySettled(reservation.id!))
            }
            XCTAssertEqual(try store.account(id: id)?.balance, eur("8.94"), "never charged twice")
        }
    }

    func testCDRsArePagedOldestOrNewestFirstWithTheirTotal() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "1").id!
            let bob = try store.makeAccount("bob", balance: "1").id!
            for second in 0..<7 {
                for account in [alice, bob] {
                    _ = try store.recordUnbilledLeg(UnbilledCallLeg(
                        accountID: account, campaign: "cb", trigger: "sip-ani", leg: .a, fromNumber: "1001",
                        toNumber: "49300\(second)", startedAt: at(TimeInterval(second)), answeredAt: nil,
                        endedAt: at(TimeInterval(second) + 1), disposition: .noAnswer, sipCause: 480))
                }
            }
            let oldest = try store.callLegPage(account: alice, newestFirst: false, offset: 2, limit: 3)
            XCTAssertEqual(oldest.total, 7)
            XCTAssertEqual(oldest.items.map(\.toNumber), ["493002", "493003", "493004"])
            XCTAssertEqual(Set(oldest.items.map(\.accountID)), [alice])
            let newest = try store.callLegPage(account: alice, newestFirst: true, offset: 0, limit: 2)
            XCTAssertEqual(newest.items.map(\.toNumber), ["493006", "493005"])
            let beyond = try store.callLegPage(account: alice, newestFirst: false, offset: 7, limit: 3)
            XCTAssertEqual(beyond, CallLegPage(total: 7, items: []))
            XCTAssertEqual(try store.callLegPage(account: nil, newestFirst: false, offset: 0, limit: 100).total, 14, "every account's")
            XCTAssertEqual(try store.callLegPage(account: alice, newestFirst: false, offset: Int(Int64.max), limit: 3).items, [])
        }
    }

    func testAFailedSettlementChangesNothing() throws {
        try onEachBackend { store in
            let plan = try planStore(store)
            let id = try store.makeAccount("alice", balance: "10").id!
            let other = try store.makeAccount("bob", balance: "10").id!
            let reservation = try XCTUnwrap(store.reserve(account: id, amount: eur("5"), maxDurationSeconds: nil, call: CallContext(), at: at(0)).reservation)
            let otherReservation = try XCTUnwrap(store.reserve(account: other, amount: eur("5"), maxDurationSeconds: nil, call: CallContext(), at: at(0)).reservation)
            let leg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .b, fromNumber: "1", toNumber: "331", startedAt: at(0), rate: try plan.rate(for: "331"), charged: true))
            let foreignLeg = try store.openLeg(reservation: otherReservation.id!, NewCallLeg(
                leg: .b, fromNumber: "1", toNumber: "331", startedAt: at(0), rate: try plan.rate(for: "331"), charged: true))
            try store.recordAnswer(leg: leg.id!, at: at(0))
            // The second ending names a leg of another reservation: the whole settlement is refused.
            XCTAssertThrowsError(try store.settle(reservation: reservation.id!, endings: [
                LegEnding(legID: leg.id!, endedAt: at(60), disposition: .answered),
                LegEnding(legID: foreignLeg.id!, endedAt: at(60), disposition: .answered),
            ], at: at(60))) {
                XCTAssertEqual($0 as? StoreError, .legNotInReservation(leg: foreignLeg.id!, reservation: reservation.id!))
            }
            XCTAssertEqual(try store.account(id: id)?.balance, eur("10"))
            XCTAssertEqual(try store.openReservations(account: id).count, 1)
            XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.isOpen), [true])
            XCTAssertEqual(try store.ledger(account: id).count, 1)
            // Done right, it goes through: 60 s at 0.12/min = 0.12.
            let settlement = try store.settle(reservation: reservation.id!, endings: [
                LegEnding(legID: leg.id!, endedAt: at(60), disposition: .answered)], at: at(60))
            XCTAssertEqual(settlement.charged, eur("0.12"))
        }
    }

    func testSettlementNeverBillsBeyondTheReservedDuration() throws {
        try onEachBackend { store in
            let plan = try planStore(store)
            let id = try store.makeAccount("alice", balance: "1").id!
            let max = try plan.maximumDuration(freeBalance: eur("1"), aNumber: nil, bNumber: "4420")
            XCTAssertEqual(max.seconds, 90)  // 0.10 + 0.01 × 90 = 1.00
            let reservation = try XCTUnwrap(store.reserve(account: id, amount: max.totalCost, maxDurationSeconds: max.seconds,
                                                          call: CallContext(), at: at(0)).reservation)
            let leg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .b, fromNumber: "1", toNumber: "4420", startedAt: at(0), rate: try plan.rate(for: "4420"), charged: true))
            try store.recordAnswer(leg: leg.id!, at: at(1))
            // The cut came 1.4 s late.
            let settlement = try store.settle(reservation: reservation.id!, endings: [
                LegEnding(legID: leg.id!, endedAt: at(92.4), disposition: .outOfCredit)], at: at(93))
            XCTAssertEqual(settlement.legs.first?.billedSeconds, 90)
            XCTAssertEqual(settlement.charged, eur("1"))
            XCTAssertEqual(settlement.balanceAfter, eur("0"))
        }
    }

    func testUnansweredLegsCostNothingAndReleaseTheReservation() throws {
        try onEachBackend { store in
            let plan = try planStore(store)
            let id = try store.makeAccount("alice", balance: "2").id!
            let reservation = try XCTUnwrap(store.reserve(account: id, amount: eur("2"), maxDurationSeconds: nil, call: CallContext(), at: at(0)).reservation)
            let leg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .b, fromNumber: "1", toNumber: "4420", startedAt: at(0), rate: try plan.rate(for: "4420"), charged: true))
            let settlement = try store.settle(reservation: reservation.id!, endings: [
                LegEnding(legID: leg.id!, endedAt: at(30), disposition: .busy, sipCause: 486)], at: at(30))
            XCTAssertEqual(settlement.charged, eur("0"))
            XCTAssertEqual(settlement.legs.first?.disposition, .busy)
            XCTAssertEqual(try store.freeBalance(account: id), eur("2"))
            XCTAssertEqual(try store.ledger(account: id).count, 1, "no ledger entry for a zero charge")
        }
    }

    /// 50 threads reserve 1.00 at once from 20.00 on a file-backed pool: exactly 20 win,
    /// then each settles a different real cost; the ledger sums to the balance change.
    func testFiftyParallelReservationsNeverExceedTheCredit() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        try store.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("44", "0.6000", 1, 1)], at: at(0))
        let plan = try XCTUnwrap(store.ratePlan(named: "p"))
        let id = try store.makeAccount("alice", balance: "20", plan: "p").id!
        // A second pool on the same file, as another process (the CLI) would have.
        let otherProcess = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)

        // Phase 1: all 50 reserve at once, half through each pool.
        let won = ReservationsBox()
        let results = ResultsBox()
        DispatchQueue.concurrentPerform(iterations: 50) { index in
            let store = index.isMultiple(of: 2) ? store : otherProcess
            do {
                let outcome = try store.reserve(account: id, amount: eur("1"), maxDurationSeconds: 100,
                                                call: CallContext(trigger: "test"), at: at(0))
                if let reservation = outcome.reservation { won.append(reservation) } else { results.refused() }
            } catch {
                results.failed("\(error)")
            }
        }
        XCTAssertEqual(try store.freeBalance(account: id), eur("0"))
        // Phase 2: the winners' calls run and settle in parallel, each a different length.
        let reservations = won.all
        DispatchQueue.concurrentPerform(iterations: reservations.count) { index in
            let store = index.isMultiple(of: 2) ? store : otherProcess
            do {
                let reservation = reservations[index]
                let leg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                    leg: .b, fromNumber: "1", toNumber: "4420", startedAt: at(0), rate: try plan.rate(for: "4420"), charged: true))
                try store.recordAnswer(leg: leg.id!, at: at(0))
                // (index + 1) × 3 seconds at 0.01/s: at most 0.60, within the 1.00 reserved.
                let settlement = try store.settle(reservation: reservation.id!, endings: [
                    LegEnding(legID: leg.id!, endedAt: at(TimeInterval((index + 1) * 3)), disposition: .answered)], at: at(60))
                results.settled(settlement.charged.minorUnits)
            } catch {
                results.failed("\(error)")
            }
        }
        XCTAssertEqual(results.errors, [])
        XCTAssertEqual(results.settledCount, 20)
        XCTAssertEqual(results.refusedCount, 30)
        XCTAssertEqual(results.chargedTotal, (1...20).reduce(Int64(0)) { $0 + Int64($1 * 3 * 100) })  // 0.03 × (1 + … + 20) = 6.30
        let account = try XCTUnwrap(store.account(id: id))
        XCTAssertEqual(account.balanceMinorUnits, 200_000 - results.chargedTotal)
        XCTAssertGreaterThanOrEqual(account.balanceMinorUnits, 0)
        let ledger = try store.ledger(account: id)
        XCTAssertEqual(ledger.reduce(Int64(0)) { $0 + $1.amountMinorUnits }, account.balanceMinorUnits)
        XCTAssertEqual(ledger.filter { $0.kind == .call }.reduce(Int64(0)) { $0 - $1.amountMinorUnits }, results.chargedTotal)
        XCTAssertEqual(try store.openReservations(account: id), [])
    }

    /// Parallel reservations with nothing settled: the free balance is never overdrawn.
    func testParallelReservationsWithoutSettlementStopAtTheBalance() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        let id = try store.makeAccount("alice", balance: "7.5").id!
        let results = ResultsBox()
        DispatchQueue.concurrentPerform(iterations: 50) { _ in
            do {
                let outcome = try store.reserve(account: id, amount: eur("0.5"), maxDurationSeconds: nil, call: CallContext(), at: at(0))
                if outcome.reservation != nil { results.settled(0) } else { results.refused() }
            } catch { results.failed("\(error)") }
        }
        XCTAssertEqual(results.settledCount, 15)
        XCTAssertEqual(try store.freeBalance(account: id), eur("0"))
    }
}

/// Collects reservations won by many threads.
final class ReservationsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var reservations: [Reservation] = []
    func append(_ reservation: Reservation) { lock.withLock { reservations.append(reservation) } }
    var all: [Reservation] { lock.withLock { reservations } }
}

/// Collects results from many threads.
final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var settledCount = 0
    private(set) var refusedCount = 0
    private(set) var chargedTotal: Int64 = 0
    private(set) var errors: [String] = []

    func settled(_ charged: Int64) { lock.withLock { settledCount += 1; chargedTotal += charged } }
    func refused() { lock.withLock { refusedCount += 1 } }
    func failed(_ error: String) { lock.withLock { errors.append(error) } }
}
