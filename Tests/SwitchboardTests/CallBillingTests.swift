import Billing
import Foundation
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

    /// A billing whose clock reads `now` and whose cuts are counted.
    private func billing(now: @escaping @Sendable () -> Date, heartbeat: Duration = .seconds(3600),
                         cuts: CutRecorder) -> CallBilling {
        CallBilling(call: CallBilling.Call(caller: "5551234", accessNumber: "1000", campaign: "card",
                                           startedAt: answered.addingTimeInterval(-2), answeredAt: answered),
                    store: store, log: log, heartbeat: heartbeat, now: now, cut: { cuts.record($0) })
    }

    func testHangupSettlesTheAccessLegOnceWithCDRAndLedger() async throws {
        let id = try account("alice", balance: "5.0000", plan: "card")
        let clock = TestClock(answered.addingTimeInterval(5))
        let cuts = CutRecorder()
        let billing = billing(now: { clock.now }, cuts: cuts)
        await billing.accountAuthenticated(login: "alice")

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
        clock.now = answered.addingTimeInterval(125)
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

        // A second end (BYE retransmission, race with a cut) changes nothing.
        await billing.callEnded(at: answered.addingTimeInterval(200))
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("4.9325"))
        XCTAssertEqual(cuts.reasons, [])
    }

    func testHeartbeatRecordsProgressThatRecoveryBills() async throws {
        let id = try account("bob", balance: "1.0000", plan: "card")
        let clock = TestClock(answered.addingTimeInterval(1))
        let billing = billing(now: { clock.now }, heartbeat: .milliseconds(20), cuts: CutRecorder())
        await billing.accountAuthenticated(login: "bob")
        clock.now = answered.addingTimeInterval(61)
        let deadline = Date().addingTimeInterval(5)
        while try store.callLegs(since: nil, account: id).first?.lastProgressAt != clock.now, Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(try store.callLegs(since: nil, account: id).first?.lastProgressAt, answered.addingTimeInterval(61))

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

    func testCallIsCutWhenTheReservedTimeIsUsedUp() async throws {
        // 0.0350 pays for 0.0050 + 0.0300·t/60 ≤ 0.0350 → t ≤ 60 s.
        let id = try account("carol", balance: "0.0350", plan: "card")
        let clock = TestClock(answered.addingTimeInterval(59.8))
        let cuts = CutRecorder()
        let billing = billing(now: { clock.now }, cuts: cuts)
        await billing.accountAuthenticated(login: "carol")
        XCTAssertEqual(try store.openReservations(account: id).first?.maxDurationSeconds, 60)
        let deadline = Date().addingTimeInterval(5)
        while cuts.reasons.isEmpty, Date() < deadline { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(cuts.reasons.count, 1)
        XCTAssertTrue(cuts.reasons.first?.contains("credit used up") ?? false, "\(cuts.reasons)")

        clock.now = answered.addingTimeInterval(60)
        await billing.callEnded(at: answered.addingTimeInterval(60))
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
        let billing = billing(now: { at }, cuts: cuts)
        await billing.accountAuthenticated(login: "dave")
        XCTAssertEqual(cuts.reasons.count, 1)
        XCTAssertTrue(cuts.reasons.first?.contains("no credit for the access leg") ?? false, "\(cuts.reasons)")
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        let leg = try XCTUnwrap(try store.callLegs(since: nil, account: id).first)
        XCTAssertEqual(leg.disposition, .outOfCredit)
        XCTAssertEqual(leg.cost, try eur("0"))
        await billing.callEnded(at: at)
        XCTAssertEqual(try store.account(id: id)?.balance, try eur("0.0010"))
    }

    func testPlanThatDoesNotChargeTheALegBillsNothing() async throws {
        let id = try account("erin", balance: "1.0000", plan: "free-a")
        let billing = billing(now: { Date() }, cuts: CutRecorder())
        await billing.accountAuthenticated(login: "erin")
        let accessLeg = await billing.accessLeg
        XCTAssertNil(accessLeg)
        XCTAssertTrue(try store.openReservations(account: id).isEmpty)
        XCTAssertTrue(try store.callLegs(since: nil, account: id).isEmpty)
    }
}

/// A settable clock shared with the billing's `now`.
private final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Date
    init(_ value: Date) { self.value = value }
    var now: Date {
        get { lock.withLock { value } }
        set { lock.withLock { value = newValue } }
    }
}

private final class CutRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func record(_ reason: String) { lock.withLock { recorded.append(reason) } }
    var reasons: [String] { lock.withLock { recorded } }
}
