import Billing
import Foundation
import IVR
import Logging
import Store
@testable import Switchboard
import XCTest

/// Access-leg billing against a real (in-memory) store: reserve on authentication, open
/// and answer the leg, heartbeat, cut when the reserved time is used up, settle once.
final class CallBillingTests: XCTestCase {
    private var store: SQLiteStore!
    private let answered = Date(timeIntervalSince1970: 1_800_000_000)
    private let log = CallLogger(base: Logger(label: "test"), callID: "test-call")

    override func setUpWithError() throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        // The access number 1000: 0.0300/min, 0.0050 connection fee, billed 1/1.
        try store.importRates(plan: "card", currency: "EUR", chargesALeg: true, rates: [
            try Rate(prefix: "1000", description: "access", perMinute: eur("0.0300"), connectionFee: eur("0.0050"),
                     increments: BillingIncrements(first: 1, following: 1)),
        ], at: answered)
        try store.importRates(plan: "free-a", currency: "EUR", chargesALeg: false, rates: [
            try Rate(prefix: "1000", description: "access", perMinute: eur("0.0300"), connectionFee: eur("0"),
                     increments: BillingIncrements(first: 1, following: 1)),
        ], at: answered)
    }

    private func eur(_ text: String) throws -> Money { try Money.parse(text, currency: "EUR") }

    private func account(_ login: String, balance: String, plan: String) throws -> Int64 {
        try XCTUnwrap(try store.createAccount(NewAccount(login: login, password: "pw", sipRealm: "test",
                                                         initialBalance: eur(balance), ratePlan: plan), at: answered).id)
    }

    /// A billing on the fake `clock`, whose cuts are counted.
    private func billing(_ clock: FakeBillingClock, heartbeat: Duration = .seconds(3600),
                         cuts: CutRecorder) -> CallBilling {
        CallBilling(call: CallBilling.Call(caller: "5551234", accessNumber: "1000", campaign: "card",
                                           startedAt: answered.addingTimeInterval(-2), answeredAt: answered),
                    store: store, log: log, heartbeat: heartbeat, clock: clock, cut: { cuts.record($0) })
    }

    func testHangupSettlesTheAccessLegOnceWithCDRAndLedger() async throws {
        let id = try account("alice", balance: "5.0000", plan: "card")
        let clock = FakeBillingClock(answered.addingTimeInterval(5))
        let cuts = CutRecorder()
        let billing = billing(clock, cuts: cuts)
        await billing.accountAuthenticated(login: "alice")
        let cutAt = await billing.cutDeadline
        XCTAssertEqual(cutAt, answered.addingTimeInterval(9990), "the cut is armed where the reservation ends")

        // Reserved: the longest call 5.0000 pays for: 0.0050 + 0.0300·t/60 = 0.0050 + 0.0005·t
        // ≤ 5.0000 → t ≤ 9990 s (under the 4 h limit), costing exactly 5.0000.
        let reservation = try XCTUnwrap(try store.openReservations(account: id).first)
        XCTAssertEqual(reservation.maxDurationSeconds, 9990)
        XCTAssertEqual(reservation.amount, try eur("5.0000"))
        let accessLeg = await billing.accessLeg
        XCTAssertEqual(accessLeg?.reservationID, reservation.id)
        var legs = try store.callLegs(since: nil, account: id)
        XCTAssertEqual(legs.count, 1)
        XCTAssertEqual(legs.first?.leg, .a)
        XCTAssertEqual(legs.first?.isOpen, true)
        XCTAssertEqual(legs.first?.answeredAt, answered)

        // 125 s answered: 0.0050 + 0.0300 × 125 / 60 = 0.0050 + 0.0625 = 0.0675.
        await clock.advance(to: answered.addingTimeInterval(125))
        await billing.callEnded(at: answered.addingTimeInterval(125))
        legs = try store.callLegs(since: nil, account: id)
        XCTAssertEqual(legs.first?.isOpen, false)
        XCTAssertEqual(legs.first?.billedSeconds, 125)
        XCTAssertEqual(legs.first?.cost, try eur("0.0675"))
        XCTAssertEqual(legs.first?.disposition, .answered)
        XCTAssertEqual(legs.first?.sipCause, 200)
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("4.9325"))
        XCTAssertEqual(try store.ledger(account: id).filter { $0.kind == .call }.count, 1)
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        XCTAssertEqual(clock.pendingDeadlines, [], "the cut and the heartbeat are called off")

        // A second end (BYE retransmission, race with a cut) changes nothing.
        await billing.callEnded(at: answered.addingTimeInterval(200))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("4.9325"))
        XCTAssertEqual(cuts.reasons, [])
    }

    func testHeartbeatRecordsProgressEveryIntervalAndRecoveryBillsIt() async throws {
        let id = try account("bob", balance: "1.0000", plan: "card")
        let clock = FakeBillingClock(answered.addingTimeInterval(1))
        let billing = billing(clock, heartbeat: .seconds(5), cuts: CutRecorder())
        await billing.accountAuthenticated(login: "bob")
        // Billed at 1 s: heartbeats at 6, 11, …, 61 s.
        XCTAssertTrue(clock.pendingDeadlines.contains(answered.addingTimeInterval(6)), "\(clock.pendingDeadlines)")
        await clock.advance(to: answered.addingTimeInterval(5.9))
        XCTAssertEqual(try store.callLegs(since: nil, account: id).first?.lastProgressAt, answered, "none before 6 s")
        await clock.advance(to: answered.addingTimeInterval(6))
        XCTAssertEqual(try store.callLegs(since: nil, account: id).first?.lastProgressAt, answered.addingTimeInterval(6))
        await clock.advance(to: answered.addingTimeInterval(64))
        XCTAssertEqual(try store.callLegs(since: nil, account: id).first?.lastProgressAt, answered.addingTimeInterval(61))
        XCTAssertEqual(clock.fired.filter { $0 > answered.addingTimeInterval(5) && $0 < answered.addingTimeInterval(62) },
                       stride(from: 6, through: 61, by: 5).map { answered.addingTimeInterval(TimeInterval($0)) },
                       "one heartbeat every 5 s")

        // The process dies here; the next start bills up to the heartbeat: 61 s =
        // 0.0050 + 0.0300 × 61 / 60 = 0.0050 + 0.0305 = 0.0355.
        let settlements = try store.recoverOpenLegs(at: answered.addingTimeInterval(600))
        XCTAssertEqual(settlements.count, 1)
        XCTAssertEqual(settlements.first?.charged, try eur("0.0355"))
        XCTAssertEqual(settlements.first?.legs.first?.disposition, .interrupted)
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.9645"))
        await billing.callEnded(at: answered.addingTimeInterval(600))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.9645"), "settled once")
    }

    func testCallIsCutWhenTheReservedTimeIsUsedUpAndBilledNoFurther() async throws {
        // 0.0350 pays for 0.0050 + 0.0300·t/60 ≤ 0.0350 → t ≤ 60 s.
        let id = try account("carol", balance: "0.0350", plan: "card")
        let clock = FakeBillingClock(answered.addingTimeInterval(3))
        let cuts = CutRecorder()
        let billing = billing(clock, cuts: cuts)
        await billing.accountAuthenticated(login: "carol")
        XCTAssertEqual(try store.openReservations(account: id).first?.maxDurationSeconds, 60)
        let cutAt = await billing.cutDeadline
        XCTAssertEqual(cutAt, answered.addingTimeInterval(60))
        await clock.advance(to: answered.addingTimeInterval(59.9))
        XCTAssertEqual(cuts.reasons, [], "not before the reserved time is used up")
        await clock.advance(to: answered.addingTimeInterval(60))
        XCTAssertEqual(cuts.reasons.count, 1)
        XCTAssertTrue(cuts.reasons.first?.contains("credit used up") ?? false, "\(cuts.reasons)")

        // The BYE of the cut is late (4 s): the leg is billed the 60 s reserved, no more.
        await clock.advance(to: answered.addingTimeInterval(64))
        await billing.callEnded(at: answered.addingTimeInterval(64))
        XCTAssertEqual(cuts.reasons.count, 1, "cut once")
        let leg = try XCTUnwrap(try store.callLegs(since: nil, account: id).first)
        XCTAssertEqual(leg.disposition, .outOfCredit)
        XCTAssertEqual(leg.billedSeconds, 60)
        XCTAssertEqual(leg.cost, try eur("0.0350"))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.0000"))
    }

    func testNoCreditForTheAccessLegCutsAtOnceAndWritesAnUnbilledCDR() async throws {
        let id = try account("dave", balance: "0.0010", plan: "card")
        let cuts = CutRecorder()
        let at = answered.addingTimeInterval(4)
        let clock = FakeBillingClock(at)
        let billing = billing(clock, cuts: cuts)
        await billing.accountAuthenticated(login: "dave")
        XCTAssertEqual(cuts.reasons.count, 1)
        XCTAssertTrue(cuts.reasons.first?.contains("no credit for the access leg") ?? false, "\(cuts.reasons)")
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        let leg = try XCTUnwrap(try store.callLegs(since: nil, account: id).first)
        XCTAssertEqual(leg.disposition, .outOfCredit)
        XCTAssertEqual(leg.cost, try eur("0"))
        await billing.callEnded(at: at)
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.0010"))
        XCTAssertEqual(clock.pendingDeadlines, [], "nothing armed for a refused leg")
    }

    func testPlanThatDoesNotChargeTheALegBillsNothing() async throws {
        let id = try account("erin", balance: "1.0000", plan: "free-a")
        let clock = FakeBillingClock(answered.addingTimeInterval(1))
        let billing = billing(clock, cuts: CutRecorder())
        await billing.accountAuthenticated(login: "erin")
        XCTAssertEqual(clock.pendingDeadlines, [], "no cut, no heartbeat")
        let accessLeg = await billing.accessLeg
        XCTAssertNil(accessLeg)
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        XCTAssertTrue(try store.callLegs(since: nil, account: id).isEmpty)
    }

    /// A PIN callback's A leg, placed on the house account, is handed over at the PIN: the
    /// house pays its seconds so far, alice the rest, holding only her share (two parts)
    /// of her free balance, as any of her callback A legs would.
    func testThePINHandsTheHouseLegOverToAliceWithinHerShare() async throws {
        let house = try account("house", balance: "10.0000", plan: "card")
        let alice = try account("alice", balance: "1.0050", plan: "card")
        let placed = try store.openAccessLeg(AccessLegRequest(
            accountID: house, plan: try XCTUnwrap(store.ratePlan(named: "card")), caller: "1001", accessNumber: "1000",
            startedAt: answered.addingTimeInterval(-5), answeredAt: nil, call: CallContext(campaign: "card", trigger: "sip-pin")),
            at: answered.addingTimeInterval(-5))
        guard case let .opened(grant) = placed else { return XCTFail("\(placed)") }
        let clock = FakeBillingClock(answered)
        let cuts = CutRecorder()
        let billing = billing(clock, cuts: cuts)
        await billing.callbackLegAnswered(placed: CallBillingMachine.PlacedAccessLeg(
            accountID: house, login: "house", plan: try XCTUnwrap(store.ratePlan(named: "card")),
            reservationID: grant.reservationID, legID: grant.legID, grantedSeconds: grant.grantedSeconds,
            amount: grant.reservation.amount, number: "1000", callerID: "1001", userShareParts: 2), payer: nil)
        await clock.advance(to: answered.addingTimeInterval(20))
        await billing.accountAuthenticated(login: "alice")

        // The house: 20 s = 0.0050 + 0.0100, settled.
        XCTAssertTrue(try store.openReservations(account: house).isEmpty)
        XCTAssertEqual(try store.account(id: house)?.balance, try eur("9.9850"))
        // Alice: half of 1.0050 free = 0.5025 pays 0.0050 + 0.0005 t → 995 s from the PIN.
        let mine = try XCTUnwrap(try store.openReservations(account: alice).first)
        XCTAssertEqual(mine.maxDurationSeconds, 995)
        XCTAssertEqual(mine.amount, try eur("0.5025"))
        let cutAt = await billing.cutDeadline
        XCTAssertEqual(cutAt, answered.addingTimeInterval(20 + 995), "cut where her share ends, counted from the PIN")
        await clock.advance(to: answered.addingTimeInterval(80))
        await billing.callEnded(at: answered.addingTimeInterval(80))
        // 60 s of hers: 0.0050 + 0.0300.
        XCTAssertEqual(try store.account(id: alice)?.balance, try eur("0.9700"))
        XCTAssertEqual(try store.callLegs(since: nil, account: alice).map(\.billedSeconds), [60])
        XCTAssertEqual(cuts.reasons, [])
    }

    /// A callback's A leg is answered and its script logs the payer in at once (ANI login on
    /// a callback leg): the leg reserved before the INVITE is the access leg, whatever the
    /// scheduling of the two events. They once raced as two `Task`s: when the login won, a
    /// second access leg was opened and the placed one stayed open, in progress, its money
    /// held (CI, CallbackQueueTests).
    func testACallbackLegAnsweredThenLoggedInAtOnceAdoptsTheLegPlacedBeforeItsINVITE() async throws {
        let plan = try XCTUnwrap(store.ratePlan(named: "card"))
        for round in 0..<40 {
            let id = try account("alice\(round)", balance: "5.0000", plan: "card")
            let placed = try store.openAccessLeg(AccessLegRequest(
                accountID: id, plan: plan, caller: "1001", accessNumber: "1000", startedAt: answered.addingTimeInterval(-5),
                answeredAt: nil, call: CallContext(campaign: "card", trigger: "sip-ani")), at: answered.addingTimeInterval(-5))
            guard case let .opened(grant) = placed else { return XCTFail("\(placed)") }
            let billing = billing(FakeBillingClock(answered), cuts: CutRecorder())
            let leg = LegBilling(billing)
            leg.callbackLegAnswered(placed: CallBillingMachine.PlacedAccessLeg(
                accountID: id, login: "alice\(round)", plan: plan, reservationID: grant.reservationID, legID: grant.legID,
                grantedSeconds: grant.grantedSeconds, amount: grant.reservation.amount, number: "1000", callerID: "1001",
                userShareParts: 1), payer: nil)
            leg.accountAuthenticated(login: "alice\(round)")
            let accessLeg = await billing.inOrder.value { await billing.accessLeg }
            XCTAssertEqual(accessLeg?.reservationID, grant.reservationID, "round \(round): the placed leg is the access leg")
            XCTAssertEqual(try store.openReservations(account: id).map(\.id), [grant.reservationID], "round \(round)")
            let settled = SettledFlag()
            leg.ended(at: answered.addingTimeInterval(30)) { settled.set() }
            _ = await billing.inOrder.value { true }
            XCTAssertTrue(settled.isSet)
            XCTAssertTrue(try store.openReservations(account: id).isEmpty, "round \(round): nothing left open")
            XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.billedSeconds), [30], "round \(round): one A leg")
        }
    }
}

/// Forwards: the B leg reserved jointly with the access leg, charged alone when it ends
/// first (the reservation shrinking back to the A leg), or with the A leg in one settlement.
final class CallBillingForwardTests: XCTestCase {
    private var store: SQLiteStore!
    private let answered = Date(timeIntervalSince1970: 1_800_000_000)
    private let log = CallLogger(base: Logger(label: "test"), callID: "test-forward")
    private let number = "4930777"

    override func setUpWithError() throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        // Access number 1000: 0.0300/min + 0.0050, 1/1. Destinations 49: 0.4800/min, 1/1.
        let rates = [
            try Rate(prefix: "1000", description: "access", perMinute: eur("0.0300"), connectionFee: eur("0.0050"),
                     increments: BillingIncrements(first: 1, following: 1)),
            try Rate(prefix: "49", description: "Germany", perMinute: eur("0.4800"), connectionFee: eur("0"),
                     increments: BillingIncrements(first: 1, following: 1)),
        ]
        try store.importRates(plan: "card", currency: "EUR", chargesALeg: true, rates: rates, at: answered)
        try store.importRates(plan: "free-a", currency: "EUR", chargesALeg: false, rates: rates, at: answered)
    }

    private func eur(_ text: String) throws -> Money { try Money.parse(text, currency: "EUR") }

    private func account(_ login: String, balance: String, plan: String) throws -> Int64 {
        try XCTUnwrap(try store.createAccount(NewAccount(login: login, password: "pw", sipRealm: "test",
                                                         initialBalance: eur(balance), ratePlan: plan), at: answered).id)
    }

    private func billing(_ clock: FakeBillingClock, cuts: CutRecorder = CutRecorder()) -> CallBilling {
        CallBilling(call: CallBilling.Call(caller: "5551234", accessNumber: "1000", campaign: "card",
                                           startedAt: answered.addingTimeInterval(-2), answeredAt: answered),
                    store: store, log: log, heartbeat: .seconds(3600), clock: clock, cut: { cuts.record($0) })
    }

    private func record(answeredAt: Date?, endedAt: Date, outcome: DialOutcome, status: Int?) -> OutboundLegRecord {
        OutboundLegRecord(callID: "b-call", aLegCallID: "test-forward", context: IVR.CallContext(caller: "5551234", dnis: "1000"),
                          trunk: "pstn", dialled: number, number: number, callerID: "5551234",
                          startedAt: answered.addingTimeInterval(10), answeredAt: answeredAt, endedAt: endedAt,
                          outcome: outcome, sipStatus: status)
    }

    private func legID(_ grant: CallBilling.ForwardGrant) throws -> Int64 {
        guard case let .granted(legID, _) = grant else { throw GrantError(grant: grant) }
        return legID
    }

    func testTheForwardResizesTheAccessReservationAndIsChargedAloneWhenItEndsFirst() async throws {
        let id = try account("alice", balance: "1.0000", plan: "card")
        let clock = FakeBillingClock(answered.addingTimeInterval(10))
        let billing = billing(clock)
        await billing.accountAuthenticated(login: "alice")
        let access = try XCTUnwrap(try store.openReservations(account: id).first)

        // At 10 s, ringing up to 30 s: A counts as 40 s gone. 0.0050 + 0.0005 (40 + t) + 0.0080 t ≤ 1
        // → t ≤ 114.7: 114 s, costing A 0.0820 (154 s) + B 0.9120 = 0.9940.
        let grant = await billing.forwardWillDial(number: number, callerID: "5551234", limitSeconds: nil,
                                                  ringTimeoutSeconds: 30)
        guard case let .granted(legID, seconds) = grant else { return XCTFail("\(grant)") }
        XCTAssertEqual(seconds, 114)
        let joint = try XCTUnwrap(try store.openReservations(account: id).first)
        XCTAssertEqual(try store.openReservations(account: id).count, 1, "one reservation for both legs")
        XCTAssertEqual(joint.id, access.id)
        XCTAssertEqual(joint.amount, try eur("0.9940"))
        XCTAssertEqual(joint.maxDurationSeconds, 114)
        let accessLeg = await billing.accessLeg
        XCTAssertEqual(accessLeg?.amount, try eur("0.9940"))

        // Answered at 20 s, #11 at 50 s: 30 s × 0.0080 = 0.2400, charged now.
        await billing.forwardAnswered(leg: legID, at: answered.addingTimeInterval(20))
        clock.current = answered.addingTimeInterval(50)
        await billing.forwardEnded(leg: legID, record(answeredAt: answered.addingTimeInterval(20),
                                                      endedAt: answered.addingTimeInterval(50), outcome: .ended, status: 200))
        let bLeg = try XCTUnwrap(try store.callLegs(since: nil, account: id).first { $0.id == legID })
        XCTAssertEqual(bLeg.leg, .b)
        XCTAssertEqual(bLeg.fromNumber, "5551234")
        XCTAssertEqual(bLeg.toNumber, number)
        XCTAssertEqual(bLeg.billedSeconds, 30)
        XCTAssertEqual(bLeg.cost, try eur("0.2400"))
        XCTAssertEqual(bLeg.disposition, .answered)
        XCTAssertEqual(bLeg.sipCause, 200)
        XCTAssertFalse(bLeg.isOpen)
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.7600"))
        // Back to the A leg alone: 0.0050 + 0.0005 t ≤ 0.7600 → 1510 s from its answer.
        let alone = try XCTUnwrap(try store.openReservations(account: id).first)
        XCTAssertEqual(alone.id, access.id)
        XCTAssertEqual(alone.amount, try eur("0.7600"))
        XCTAssertEqual(alone.maxDurationSeconds, 1510)

        // A second forward may go again; the caller hangs up at 100 s instead: A = 0.0050 + 0.0500.
        clock.current = answered.addingTimeInterval(100)
        await billing.callEnded(at: answered.addingTimeInterval(100))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.7050"))
        XCTAssertEqual(try store.ledger(account: id).filter { $0.kind == .call }.map(\.amount),
                       [try eur("-0.2400"), try eur("-0.0550")])
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        XCTAssertTrue(try store.callLegs(since: nil, account: id).allSatisfy { !$0.isOpen })
    }

    func testHeartbeatsCoverTheAnsweredForwardSoRecoveryBillsItAfterACrash() async throws {
        let id = try account("frank", balance: "1.0000", plan: "card")
        let clock = FakeBillingClock(answered.addingTimeInterval(10))
        let billing = CallBilling(call: CallBilling.Call(caller: "5551234", accessNumber: "1000", campaign: "card",
                                                         startedAt: answered, answeredAt: answered),
                                  store: store, log: log, heartbeat: .seconds(8), clock: clock, cut: { _ in })
        await billing.accountAuthenticated(login: "frank")
        let legID = try legID(await billing.forwardWillDial(number: number, callerID: "5551234", limitSeconds: nil,
                                                             ringTimeoutSeconds: 30))
        await billing.forwardAnswered(leg: legID, at: answered.addingTimeInterval(12))
        // Heartbeats at 18, 26, 34, 42 s cover both legs.
        await clock.advance(to: answered.addingTimeInterval(42))
        XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.lastProgressAt),
                       [answered.addingTimeInterval(42), answered.addingTimeInterval(42)])
        // The process dies: recovery bills both legs to the heartbeat, in one settlement:
        // A 42 s = 0.0050 + 0.0210, B 30 s = 0.2400.
        let settlements = try store.recoverOpenLegs(at: answered.addingTimeInterval(600))
        XCTAssertEqual(settlements.count, 1)
        XCTAssertEqual(settlements.first?.charged, try eur("0.2660"))
        XCTAssertEqual(settlements.first?.legs.map(\.billedSeconds), [42, 30])
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.7340"))
        await billing.callEnded(at: answered.addingTimeInterval(600))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.7340"), "settled once")
    }

    func testTheCallersHangupSettlesBothLegsOnceAndALateForwardEndChangesNothing() async throws {
        let id = try account("bob", balance: "1.0000", plan: "card")
        let clock = FakeBillingClock(answered.addingTimeInterval(10))
        let billing = billing(clock)
        await billing.accountAuthenticated(login: "bob")
        let legID = try legID(await billing.forwardWillDial(number: number, callerID: "5551234", limitSeconds: 60,
                                                             ringTimeoutSeconds: 30))
        XCTAssertEqual(try store.openReservations(account: id).first?.maxDurationSeconds, 60, "the script's cap")
        await billing.forwardAnswered(leg: legID, at: answered.addingTimeInterval(15))
        // A hangs up at 45 s: B 30 s (0.2400), A 45 s (0.0050 + 0.0225 = 0.0275), one settlement.
        clock.current = answered.addingTimeInterval(45)
        await billing.callEnded(at: answered.addingTimeInterval(45))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.7325"))
        XCTAssertEqual(try store.ledger(account: id).filter { $0.kind == .call }.map(\.amount), [try eur("-0.2675")])
        let legs = try store.callLegs(since: nil, account: id)
        XCTAssertEqual(legs.first { $0.leg == .b }?.billedSeconds, 30)
        XCTAssertEqual(legs.first { $0.leg == .b }?.disposition, .answered)
        XCTAssertEqual(legs.first { $0.leg == .a }?.billedSeconds, 45)
        // The B leg's own end arrives after its BYE: already settled, nothing changes.
        await billing.forwardEnded(leg: legID, record(answeredAt: answered.addingTimeInterval(15),
                                                      endedAt: answered.addingTimeInterval(46), outcome: .ended, status: 200))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.7325"))
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
    }

    func testAForwardNoCreditPaysForIsRefusedAndTheAccessLegKeepsItsReservation() async throws {
        // 0.0250 pays the A leg 40 s; at 2 s with 30 s of ringing A alone would cost 0.0210,
        // and the B leg's first second (0.0080) no longer fits.
        let id = try account("carol", balance: "0.0250", plan: "card")
        let billing = billing(FakeBillingClock(answered.addingTimeInterval(2)))
        await billing.accountAuthenticated(login: "carol")
        let before = try store.openReservations(account: id)
        let grant = await billing.forwardWillDial(number: number, callerID: "5551234", limitSeconds: nil, ringTimeoutSeconds: 30)
        guard case .refused(.outOfCredit, _) = grant else { return XCTFail("\(grant)") }
        XCTAssertEqual(try store.openReservations(account: id), before)
        XCTAssertEqual(try store.callLegs(since: nil, account: id).map(\.leg), [.a], "no B leg is opened")
        await billing.callEnded(at: answered.addingTimeInterval(3))
    }

    func testADestinationThePlanLacksFailsAndNoAccountReachesOnlyOurUsers() async throws {
        _ = try account("dave", balance: "5", plan: "card")
        let billing = billing(FakeBillingClock(answered.addingTimeInterval(2)))
        // No account bound: a trunk number is refused (nobody pays), a user's login is not.
        let unbound = await billing.forwardWillDial(number: number, callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30)
        XCTAssertEqual(unbound, .refused(.failed, reason: TrunkLegAdmission.unboundTrunkLegRefusal))
        let user = await billing.forwardWillDial(number: "dave", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30)
        XCTAssertEqual(user, .unbilled)
        XCTAssertTrue(try store.callLegs(since: nil, account: nil).isEmpty, "nothing is opened for a refused leg")
        await billing.accountAuthenticated(login: "dave")
        let grant = await billing.forwardWillDial(number: "1212555", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30)
        guard case .refused(.failed, _) = grant else { return XCTFail("\(grant)") }
        await billing.callEnded(at: answered.addingTimeInterval(3))
    }

    func testOnAPlanThatDoesNotChargeTheALegTheForwardHasItsOwnReservation() async throws {
        let id = try account("erin", balance: "1.0000", plan: "free-a")
        let clock = FakeBillingClock(answered.addingTimeInterval(5))
        let billing = billing(clock)
        await billing.accountAuthenticated(login: "erin")
        // Busy: a CDR with no charge, its reservation released.
        let busy = try legID(await billing.forwardWillDial(number: number, callerID: "5551234", limitSeconds: nil,
                                                            ringTimeoutSeconds: 30))
        // 0.0080 t ≤ 1 → 125 s, the whole balance.
        XCTAssertEqual(try store.openReservations(account: id).map(\.amount), [try eur("1.0000")])
        await billing.forwardEnded(leg: busy, record(answeredAt: nil, endedAt: answered.addingTimeInterval(7),
                                                     outcome: .busy, status: 486))
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        var legs = try store.callLegs(since: nil, account: id)
        XCTAssertEqual(legs.map(\.disposition), [.busy])
        XCTAssertEqual(legs.first?.sipCause, 486)
        XCTAssertEqual(legs.first?.cost, try eur("0"))
        // Then a forward that talks 10 s: 0.0800.
        let talked = try legID(await billing.forwardWillDial(number: number, callerID: "5551234", limitSeconds: nil,
                                                              ringTimeoutSeconds: 30))
        await billing.forwardEnded(leg: talked, record(answeredAt: answered.addingTimeInterval(20),
                                                       endedAt: answered.addingTimeInterval(30), outcome: .ended, status: 200))
        legs = try store.callLegs(since: nil, account: id)
        XCTAssertEqual(legs.map(\.disposition), [.busy, .answered])
        XCTAssertEqual(legs.last?.cost, try eur("0.0800"))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.9200"))
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        await billing.callEnded(at: answered.addingTimeInterval(40))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.9200"), "the A leg is free on this plan")
    }
}

private struct GrantError: Error {
    let grant: CallBilling.ForwardGrant
}

private final class CutRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func record(_ reason: String) { lock.withLock { recorded.append(reason) } }
    var reasons: [String] { lock.withLock { recorded } }
}

private final class SettledFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
