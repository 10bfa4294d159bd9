import Billing
import Foundation
import GRDB
import XCTest
@testable import Store

/// The money intents of `BillingStore`: each one write transaction that leaves money
/// consistent, whatever fails in its middle.
final class BillingIntentTests: StoreBackendTestCase {
    private var store: (any TestedStore)!
    private var plan: RatePlan!
    private let answered = at(100)

    /// Runs `body` on each backend, `store` and `plan` set up afresh.
    private func eachBackend(_ body: () throws -> Void) throws {
        try onEachBackend { store in
            self.store = store
            // Access number 1000: 0.0300/min + 0.0050, 1/1. Destinations 49: 0.4800/min, 1/1.
            try store.importRates(plan: "card", currency: "EUR", chargesALeg: true,
                                  rates: [rate("1000", "0.0300", fee: "0.0050", 1, 1), rate("49", "0.4800", 1, 1)], at: at(0))
            plan = try XCTUnwrap(store.ratePlan(named: "card"))
            try body()
        }
    }

    private func accessRequest(_ accountID: Int64) -> AccessLegRequest {
        AccessLegRequest(accountID: accountID, plan: plan, caller: "5551234", accessNumber: "1000",
                         startedAt: answered.addingTimeInterval(-2), answeredAt: answered,
                         call: CallContext(campaign: "card", trigger: "card"))
    }

    private func openAccessLeg(_ accountID: Int64) throws -> LegGrant {
        guard case let .opened(grant) = try store.openAccessLeg(accessRequest(accountID), at: answered.addingTimeInterval(5)) else {
            throw LegNotOpened()
        }
        return grant
    }

    private func forwardRequest(_ accountID: Int64, share: AccessLegShare?, limit: Int = MaximumDuration.defaultLimit) -> ForwardRequest {
        ForwardRequest(accountID: accountID, plan: plan, number: "4930777", callerID: "5551234", limit: limit,
                       call: CallContext(campaign: "card", trigger: "card"), accessLeg: share)
    }

    /// Makes every insert into `table` matching `when` fail: a failure in the middle of a write.
    private func failInserts(into table: String, when condition: String = "TRUE") throws {
        try injectInsertFailure(store, into: table, when: condition)
    }

    private func removeInjectedFailure() throws {
        try removeInsertFailure(store)
    }

    // MARK: - Open access leg

    func testOpenAccessLegReservesAndOpensTheAnsweredLegWithItsGrant() throws {
        try eachBackend {
            // 0.0350 pays 0.0050 + 0.0005 t → t ≤ 60 s.
            let id = try store.makeAccount("alice", balance: "0.0350", plan: "card").id!
            let grant = try openAccessLeg(id)
            XCTAssertEqual(grant.grantedSeconds, 60)
            XCTAssertEqual(grant.reservation.amount, eur("0.0350"))
            XCTAssertEqual(grant.leg.leg, .a)
            XCTAssertEqual(grant.leg.answeredAt, answered)
            XCTAssertEqual(grant.leg.grantedSeconds, 60)
            XCTAssertEqual(try store.openReservations(account: id).map(\.id), [grant.reservation.id])
            XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.isOpen), [true])
            XCTAssertEqual(try store.freeBalance(account: id), eur("0"))
        }
    }

    func testARefusedAccessLegHoldsNoMoneyAndWritesItsCDR() throws {
        try eachBackend {
            let id = try store.makeAccount("bob", balance: "0.0010", plan: "card").id!
            guard case let .refused(refusal, cdr) = try store.openAccessLeg(accessRequest(id), at: answered.addingTimeInterval(4)) else {
                return XCTFail("0.0010 cannot pay the connection fee")
            }
            XCTAssertEqual(refusal, .insufficientFunds(free: eur("0.0010"), requested: eur("0.0055")))
            XCTAssertEqual(cdr.disposition, .outOfCredit)
            XCTAssertFalse(cdr.isOpen)
            XCTAssertTrue(try store.openReservations(account: id).isEmpty)
            XCTAssertEqual(try store.callLegs(since: nil, account: id).count, 1)
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0.0010"))
        }
    }

    func testAFailureWhileOpeningTheAccessLegLeavesNoReservation() throws {
        try eachBackend {
            let id = try store.makeAccount("carol", balance: "1", plan: "card").id!
            try failInserts(into: "callLeg")
            XCTAssertThrowsError(try store.openAccessLeg(accessRequest(id), at: answered))
            XCTAssertTrue(try store.openReservations(account: id).isEmpty, "the reservation was rolled back with the leg")
            XCTAssertTrue(try store.callLegs(since: nil, account: id).isEmpty)
            XCTAssertEqual(try store.freeBalance(account: id), eur("1"))
        }
    }

    func testAnAccessNumberThePlanLacksThrowsBeforeAnyWrite() throws {
        try eachBackend {
            let id = try store.makeAccount("dave", balance: "1", plan: "card").id!
            var request = accessRequest(id)
            request.accessNumber = "7777"
            XCTAssertThrowsError(try store.openAccessLeg(request, at: answered))
            XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        }
    }

    // MARK: - Hand over the access leg

    /// The PIN of a PIN callback, 20 s after the answer.
    private var pinAt: Date { answered.addingTimeInterval(20) }

    private func houseAndAlice(aliceBalance: String) throws -> (house: Int64, alice: Int64) {
        (try store.makeAccount("house", balance: "10", plan: "card").id!,
         try store.makeAccount("alice", balance: aliceBalance, plan: "card").id!)
    }

    /// The house's access leg `leg` ends at the PIN and goes on as `account`'s.
    private func handOver(_ leg: LegGrant, to account: Int64) throws -> AccessLegHandover {
        var request = accessRequest(account)
        request.startedAt = pinAt
        request.answeredAt = pinAt
        return try store.handOverAccessLeg(
            reservation: leg.reservationID,
            LegEnding(legID: leg.legID, endedAt: pinAt, disposition: .answered, sipCause: 200), to: request, at: pinAt)
    }

    func testAHandoverSettlesTheHouseLegAndOpensTheUsersInOneWrite() throws {
        try eachBackend {
            let (house, alice) = try houseAndAlice(aliceBalance: "0.0350")
            let houseLeg = try openAccessLeg(house)
            // The PIN at 20 s: the house pays 20 s (0.0050 + 0.0100), alice from then on.
            let handover = try handOver(houseLeg, to: alice)
            XCTAssertEqual(handover.settled.charged, eur("0.0150"))
            XCTAssertEqual(try store.account(id: house)?.balance, eur("9.9850"))
            XCTAssertTrue(try store.openReservations(account: house).isEmpty)
            guard case let .opened(grant) = handover.opened else { return XCTFail("\(handover.opened)") }
            XCTAssertEqual(grant.leg.answeredAt, pinAt)
            XCTAssertEqual(grant.grantedSeconds, 60, "alice's 0.0350 pays 60 s from the PIN")
            XCTAssertEqual(try store.openReservations(account: alice).map(\.id), [grant.reservation.id])
            XCTAssertEqual(try store.callLegs(since: nil, account: house).map(\.billedSeconds), [20])
            XCTAssertEqual(try store.callLegs(since: nil, account: alice).map(\.isOpen), [true])
            // Every balance equals its ledger.
            for id in [house, alice] {
                let ledger = try store.ledger(account: id).reduce(Int64(0)) { $0 + $1.amount.minorUnits }
                XCTAssertEqual(ledger, try store.account(id: id)?.balance.minorUnits)
            }
        }
    }

    func testAHandoverThatFailsInItsMiddleLeavesTheHouseLegOpen() throws {
        try eachBackend {
            let (house, alice) = try houseAndAlice(aliceBalance: "1")
            let houseLeg = try openAccessLeg(house)
            try failInserts(into: "callLeg")
            XCTAssertThrowsError(try handOver(houseLeg, to: alice))
            try removeInjectedFailure()
            XCTAssertEqual(try store.openReservations(account: house).map(\.id), [houseLeg.reservation.id],
                           "the house's settlement was rolled back with alice's leg")
            XCTAssertEqual(try store.account(id: house)?.balance, eur("10"))
            XCTAssertEqual(try store.callLegs(since: nil, account: house).map(\.isOpen), [true])
            XCTAssertTrue(try store.openReservations(account: alice).isEmpty)
        }
    }

    // MARK: - Settle call

    func testSettlementCapsTheAccessLegAtItsGrant() throws {
        try eachBackend {
            let id = try store.makeAccount("erin", balance: "0.0350", plan: "card").id!
            let grant = try openAccessLeg(id)
            // The BYE comes 15 s after the cut should have happened: billed 60 s, not 75.
            let settlement = try store.settle(reservation: grant.reservationID, endings: [
                LegEnding(legID: grant.legID, endedAt: answered.addingTimeInterval(75), disposition: .answered, sipCause: 200),
            ], at: answered.addingTimeInterval(76))
            XCTAssertEqual(settlement.legs.first?.billedSeconds, 60)
            XCTAssertEqual(settlement.charged, eur("0.0350"))
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0"))
            XCTAssertEqual(try store.ledger(account: id).filter { $0.kind == .call }.map(\.amount), [eur("-0.0350")])
        }
    }

    func testRecoveryBillsTheAccessLegToItsHeartbeatWithinItsGrant() throws {
        try eachBackend {
            let id = try store.makeAccount("frank", balance: "0.0350", plan: "card").id!
            let grant = try openAccessLeg(id)
            try store.recordProgress(legs: [grant.legID], at: answered.addingTimeInterval(30))
            // kill -9 here; the next start settles from the heartbeat: 0.0050 + 0.0150.
            let settlements = try store.recoverOpenLegs(at: answered.addingTimeInterval(600))
            XCTAssertEqual(settlements.map(\.charged), [eur("0.0200")])
            XCTAssertEqual(settlements.first?.legs.first?.disposition, .interrupted)
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0.0150"))
        }
    }

    // MARK: - Open forward

    func testOpenForwardResizesTheAccessReservationAndOpensTheBLegInOneWrite() throws {
        try eachBackend {
            let id = try store.makeAccount("alice", balance: "1.0000", plan: "card").id!
            let access = try openAccessLeg(id)
            // A counts 40 s gone: 0.0050 + 0.0005 (40 + t) + 0.0080 t ≤ 1 → t = 114.
            let outcome = try store.openForward(forwardRequest(id, share: AccessLegShare(
                reservationID: access.reservationID, legID: access.legID, elapsedSeconds: 40)), at: answered.addingTimeInterval(10))
            guard case let .opened(forward, accessLegSeconds) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(forward.grantedSeconds, 114)
            XCTAssertEqual(accessLegSeconds, 154)
            XCTAssertEqual(forward.reservation.id, access.reservation.id, "one reservation for both legs")
            XCTAssertEqual(forward.reservation.amount, eur("0.9940"))
            let legs = try store.callLegs(since: nil, account: id)
            XCTAssertEqual(legs.map(\.leg), [.a, .b])
            XCTAssertEqual(legs.map(\.grantedSeconds), [154, 114])
            XCTAssertEqual(legs.last?.toNumber, "4930777")
        }
    }

    func testARefusedForwardWritesNothing() throws {
        try eachBackend {
            // 0.0250 pays the A leg 40 s; with 32 s gone the B leg's first second no longer fits.
            let id = try store.makeAccount("bob", balance: "0.0250", plan: "card").id!
            let access = try openAccessLeg(id)
            let before = try store.openReservations(account: id)
            let outcome = try store.openForward(forwardRequest(id, share: AccessLegShare(
                reservationID: access.reservationID, legID: access.legID, elapsedSeconds: 32)), at: answered.addingTimeInterval(2))
            guard case .refused(.insufficientFunds) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(try store.openReservations(account: id), before)
            XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.grantedSeconds), [40])
        }
    }

    func testAFailureWhileOpeningTheBLegLeavesTheAccessReservationAsItWas() throws {
        try eachBackend {
            let id = try store.makeAccount("carol", balance: "1.0000", plan: "card").id!
            let access = try openAccessLeg(id)
            let before = try store.openReservations(account: id)
            try failInserts(into: "callLeg", when: "NEW.leg = 'b'")
            XCTAssertThrowsError(try store.openForward(forwardRequest(id, share: AccessLegShare(
                reservationID: access.reservationID, legID: access.legID, elapsedSeconds: 40)), at: answered.addingTimeInterval(10)))
            XCTAssertEqual(try store.openReservations(account: id), before, "the resize was rolled back")
            XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.grantedSeconds), [access.grantedSeconds])
            // And a forward with a reservation of its own leaves none behind.
            let other = try store.makeAccount("carol2", balance: "1.0000", plan: "card").id!
            XCTAssertThrowsError(try store.openForward(forwardRequest(other, share: nil), at: answered.addingTimeInterval(10)))
            XCTAssertTrue(try store.openReservations(account: other).isEmpty)
            XCTAssertEqual(try store.freeBalance(account: other), eur("1.0000"))
        }
    }

    // MARK: - Close forward

    func testClosingAJointForwardChargesItAndShrinksTheReservationToTheAccessLeg() throws {
        try eachBackend {
            let id = try store.makeAccount("dave", balance: "1.0000", plan: "card").id!
            let access = try openAccessLeg(id)
            guard case let .opened(forward, _) = try store.openForward(forwardRequest(id, share: AccessLegShare(
                reservationID: access.reservationID, legID: access.legID, elapsedSeconds: 40)), at: answered.addingTimeInterval(10))
            else { return XCTFail("forward refused") }
            try store.recordAnswer(leg: forward.legID, at: answered.addingTimeInterval(20))
            // Talked 30 s: 0.2400, charged now; the A leg alone: 0.0050 + 0.0005 t ≤ 0.7600 → 1510 s.
            let closing = try store.closeForward(reservation: forward.reservationID, LegEnding(
                legID: forward.legID, endedAt: answered.addingTimeInterval(50), disposition: .answered, sipCause: 200),
                accessLegPlan: plan, at: answered.addingTimeInterval(50))
            XCTAssertEqual(closing.settlement.charged, eur("0.2400"))
            guard case let .resized(reservation, grantedSeconds) = closing.accessLeg else { return XCTFail("\(closing)") }
            XCTAssertEqual(reservation.id, access.reservation.id)
            XCTAssertEqual(reservation.amount, eur("0.7600"))
            XCTAssertEqual(grantedSeconds, 1510)
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0.7600"))
            XCTAssertEqual(try store.callLegs(since: nil, account: id).first { $0.leg == .a }?.grantedSeconds, 1510)
        }
    }

    func testAFailureWhileClosingAForwardChargesNothingAndKeepsTheLegOpen() throws {
        try eachBackend {
            let id = try store.makeAccount("erin", balance: "1.0000", plan: "card").id!
            let access = try openAccessLeg(id)
            guard case let .opened(forward, _) = try store.openForward(forwardRequest(id, share: AccessLegShare(
                reservationID: access.reservationID, legID: access.legID, elapsedSeconds: 40)), at: answered.addingTimeInterval(10))
            else { return XCTFail("forward refused") }
            try store.recordAnswer(leg: forward.legID, at: answered.addingTimeInterval(20))
            let reservationsBefore = try store.openReservations(account: id)
            try failInserts(into: "ledgerEntry")
            let ending = LegEnding(legID: forward.legID, endedAt: answered.addingTimeInterval(50), disposition: .answered)
            XCTAssertThrowsError(try store.closeForward(reservation: forward.reservationID, ending, accessLegPlan: plan,
                                                        at: answered.addingTimeInterval(50)))
            XCTAssertEqual(try store.account(id: id)?.balance, eur("1.0000"))
            XCTAssertEqual(try store.openReservations(account: id), reservationsBefore)
            XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.isOpen), [true, true])
            // Once the fault is gone the same close goes through, exactly once.
            try removeInjectedFailure()
            _ = try store.closeForward(reservation: forward.reservationID, ending, accessLegPlan: plan, at: answered.addingTimeInterval(51))
            XCTAssertEqual(try store.account(id: id)?.balance, eur("0.7600"))
        }
    }

    func testClosingAForwardWithItsOwnReservationSettlesItWhole() throws {
        try eachBackend {
            let id = try store.makeAccount("frank", balance: "1.0000", plan: "card").id!
            guard case let .opened(forward, accessLegSeconds) = try store.openForward(forwardRequest(id, share: nil, limit: 60),
                                                                                      at: answered)
            else { return XCTFail("forward refused") }
            XCTAssertNil(accessLegSeconds)
            XCTAssertEqual(forward.reservation.amount, eur("0.4800"))
            let closing = try store.closeForward(reservation: forward.reservationID, LegEnding(
                legID: forward.legID, endedAt: answered.addingTimeInterval(3), disposition: .busy, sipCause: 486),
                accessLegPlan: nil, at: answered.addingTimeInterval(3))
            XCTAssertNil(closing.accessLeg)
            XCTAssertEqual(closing.settlement.charged, eur("0"))
            XCTAssertTrue(try store.openReservations(account: id).isEmpty)
            XCTAssertEqual(try store.account(id: id)?.balance, eur("1.0000"))
        }
    }

    // MARK: - Debits

    func testADebitMayTakeOnlyTheFreeBalance() throws {
        try eachBackend {
            let id = try store.makeAccount("gina", balance: "1.0000").id!
            _ = try store.reserve(account: id, amount: eur("0.6000"), maxDurationSeconds: nil, call: CallContext(), at: at(1))
            XCTAssertThrowsError(try store.debit(account: id, amount: eur("0.5000"), note: nil, at: at(2))) { error in
                XCTAssertEqual(error as? StoreError, .debitExceedsFreeBalance(requested: eur("0.5000"), balance: eur("1.0000"),
                                                                             reserved: eur("0.6000")))
                XCTAssertTrue("\(error)".contains("0.6000 EUR is reserved"), "\(error)")
            }
            XCTAssertEqual(try store.account(id: id)?.balance, eur("1.0000"))
            XCTAssertEqual(try store.debit(account: id, amount: eur("0.4000"), note: nil, at: at(3)).balanceAfter, eur("0.6000"))
            XCTAssertEqual(try store.freeBalance(account: id), eur("0"))
        }
    }
}

/// Parallel calls of one account, each in its own thread against a file database (a pool
/// of connections, as the server runs): the reservations never add up to more than the credit.
final class ConcurrentReservationTests: XCTestCase {
    func testConcurrentReservationsNeverExceedTheCredit() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        try store.importRates(plan: "card", currency: "EUR", chargesALeg: true,
                              rates: [rate("1000", "0.0300", fee: "0.0050", 1, 1), rate("49", "0.4800", 1, 1)], at: at(0))
        let plan = try XCTUnwrap(store.ratePlan(named: "card"))
        let fixed = try store.makeAccount("fixed", balance: "1.0000").id!
        let whole = try store.makeAccount("whole", balance: "1.0000", plan: "card").id!

        let reserved = Counter()
        let forwards = Counter()
        DispatchQueue.concurrentPerform(iterations: 24) { index in
            // 0.3000 at a time out of 1.0000: exactly three fit.
            if case .reserved = try? store.reserve(account: fixed, amount: eur("0.3000"), maxDurationSeconds: nil,
                                                  call: CallContext(), at: at(Double(index))) {
                reserved.increment()
            }
            // Each forward reserves all it can; the others find nothing left.
            let request = ForwardRequest(accountID: whole, plan: plan, number: "4930777", callerID: "1", call: CallContext(),
                                         accessLeg: nil)
            if case .opened = try? store.openForward(request, at: at(Double(index))) { forwards.increment() }
        }
        XCTAssertEqual(reserved.value, 3)
        XCTAssertEqual(try store.openReservations(account: fixed).count, 3)
        XCTAssertEqual(try store.freeBalance(account: fixed), eur("0.1000"))
        XCTAssertEqual(forwards.value, 1)
        let held = try store.openReservations(account: whole).reduce(Int64(0)) { $0 + $1.amountMinorUnits }
        XCTAssertLessThanOrEqual(held, eur("1.0000").minorUnits)
        XCTAssertGreaterThanOrEqual(try store.freeBalance(account: whole).minorUnits, 0)
        XCTAssertEqual(try store.callLegs(since: nil, account: whole).count, 1, "a B leg only under a reservation")
    }
}

/// `serve` holds its data directory's lock for its whole life.
final class DataDirectoryLockTests: XCTestCase {
    func testASecondHolderIsRefusedUntilTheFirstReleases() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try DataDirectoryLock(dataDirectory: directory)
        XCTAssertThrowsError(try DataDirectoryLock(dataDirectory: directory)) { error in
            XCTAssertEqual(error as? DataDirectoryLockError, .held(directory: directory.path, pid: getpid()))
            XCTAssertTrue("\(error)".contains("already using the data directory"), "\(error)")
        }
        first.release()
        let second = try DataDirectoryLock(dataDirectory: directory)
        second.release()
    }
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}

/// Thrown by a helper whose precondition (an opened leg) did not hold.
private struct LegNotOpened: Error {}
