import Billing
import Foundation
import IVR
import Logging
import SIP
import SIPStack
@testable import Store
@testable import Switchboard
import XCTest

/// A callback's A leg before its INVITE, against a real store: every trigger × caller
/// trust × account state. Admitted legs are rated at the number dialled, reserved and
/// opened as the call's A leg (trigger in the CDR); refused ones write no reservation; an
/// attempt that ends unanswered leaves a zero-cost CDR with its SIP cause.
final class CallbackALegGrantsTests: XCTestCase {
    private var store: SQLiteStore!
    private let now = Date(timeIntervalSince1970: 1_800_000_000)
    private let log = CallLogger(base: Logger(label: "test"), callID: "test-callback-grants")

    enum AccountState: CaseIterable {
        case noAccount, noRate, blocked, insufficient, enough
    }

    enum Trust: CaseIterable { case trusted, untrusted }

    private var ids: [String: Int64] = [:]

    override func setUpWithError() throws {
        store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1))
        let rates = [
            try Rate(prefix: "49", description: "Germany", perMinute: eur("0.4800"), connectionFee: eur("0"),
                     increments: BillingIncrements(first: 1, following: 1)),
        ]
        _ = try store.importRates(plan: "card", currency: "EUR", chargesALeg: true, rates: rates, blockedPrefixes: ["4990"],
                                  at: now)
        for (login, balance) in [("alice", "5.0000"), ("poor", "0.0000"), ("guest", "5.0000"), ("poorguest", "0.0000")] {
            ids[login] = try store.createAccount(NewAccount(login: login, password: "pw", sipRealm: "test",
                                                            initialBalance: eur(balance), ratePlan: "card"), at: now).id
        }
    }

    private func eur(_ text: String) throws -> Money { try Money.parse(text, currency: "EUR") }

    private func route(_ number: String, contact: Bool = false) throws -> TrunkSelector.Route {
        TrunkSelector.Route(trunk: contact ? ForwardPlan.registeredTrunk : "pstn", dialled: number, number: number,
                            requestURI: try SIPURI(parsing: "sip:\(number)@192.0.2.1"),
                            destination: SIPDestination(transport: .udp, host: "192.0.2.1", port: 5060))
    }

    /// The request as the trigger queues it: an untrusted caller's SIP trigger is a PIN
    /// callback bound to no account (`CallbackDecision`); the other triggers authenticate
    /// with a password, whatever the source.
    private func request(_ trigger: CallTrigger, _ trust: Trust, _ state: AccountState) throws -> Store.CallbackRequest {
        let sip: Set<CallTrigger> = [.sipANI, .sipDID, .sipPIN]
        let effective = sip.contains(trigger) && (trust == .untrusted || trigger == .sipPIN) ? CallTrigger.sipPIN : trigger
        var account: Int64?
        if effective != .sipPIN, state != .noAccount { account = ids[state == .insufficient ? "poor" : "alice"] }
        return try store.enqueueCallback(NewCallbackRequest(
            accountID: account, campaign: "cb", trigger: effective, originNumber: number(state), destinations: [],
            notBefore: now), at: now)
    }

    private func number(_ state: AccountState) -> String {
        switch state {
        case .noRate: return "33123456"
        case .blocked: return "4990123"
        case .noAccount, .insufficient, .enough: return "4930777"
        }
    }

    func testEveryTriggerTrustAndAccountState() throws {
        var rows = 0
        for trigger in CallTrigger.allCases where trigger != .card {
            for trust in Trust.allCases {
                for state in AccountState.allCases {
                    rows += 1
                    let request = try self.request(trigger, trust, state)
                    // A PIN callback is paid by the house account, whose state is the row's.
                    let house: String? = state == .noAccount ? nil : (state == .insufficient ? "poorguest" : "guest")
                    let grants = CallbackALegGrants(store: store, request: request, houseAccount: house, log: log)
                    let row = "\(trigger) × \(trust) × \(state) (queued as \(request.trigger))"
                    let reservationsBefore = try openReservations()
                    let admission = grants.decide(try route(number(state)), callerID: "1001", at: now)
                    switch (state, admission) {
                    case (.enough, .place(let billing)):
                        let billed = try XCTUnwrap(billing as? CallbackALegBilling, row)
                        let placed = try XCTUnwrap(billed.placed, "rated and reserved: \(row)")
                        XCTAssertEqual(billed.maxDurationSeconds, 625, "5.0000 at 0.4800/min: \(row)")
                        let leg = try XCTUnwrap(try store.callLegs(since: nil, account: placed.accountID)
                            .first { $0.id == placed.legID }, row)
                        XCTAssertEqual(leg.leg, .a, row)
                        XCTAssertEqual(leg.toNumber, "4930777", row)
                        XCTAssertEqual(leg.ratePrefix, "49", row)
                        XCTAssertEqual(leg.trigger, request.trigger.rawValue, "the trigger is in the CDR: \(row)")
                        XCTAssertNil(leg.answeredAt, "reserved before the INVITE: \(row)")
                        XCTAssertEqual(placed.accountID, request.trigger == .sipPIN ? ids["guest"] : ids["alice"],
                                       "who pays: \(row)")
                        XCTAssertEqual(try openReservations(), reservationsBefore + 1, row)
                        // Busy: the reservation is settled at no charge, the CDR says 486.
                        billed.outboundLegEnded(OutboundLegRecord(
                            callID: "x", aLegCallID: "", context: IVR.CallContext(caller: "", dnis: ""), trunk: "pstn",
                            dialled: "4930777", number: "4930777", callerID: "1001", startedAt: now, answeredAt: nil,
                            endedAt: now.addingTimeInterval(5), outcome: .busy, sipStatus: 486))
                        let closed = try waitForClosed(leg: placed.legID, account: placed.accountID)
                        XCTAssertEqual(closed.disposition, .busy, row)
                        XCTAssertEqual(closed.sipCause, 486, row)
                        XCTAssertEqual(closed.costMinorUnits, 0, row)
                        XCTAssertEqual(try openReservations(), reservationsBefore, "the money is released: \(row)")
                    case (.enough, _):
                        XCTFail("not admitted: \(row): \(admission)")
                    case (_, .refuse(let outcome, let reason)):
                        XCTAssertEqual(outcome, state == .insufficient ? .outOfCredit : .failed, "\(row): \(reason)")
                        XCTAssertEqual(try openReservations(), reservationsBefore, "nothing held: \(row)")
                    case (_, .place):
                        XCTFail("placed: \(row)")
                    }
                }
            }
        }
        XCTAssertEqual(rows, 8 * 2 * 5)
    }

    func testARegisteredPhoneIsPlacedUnratedAndRecorded() throws {
        let request = try store.enqueueCallback(NewCallbackRequest(
            accountID: ids["alice"], campaign: "cb", trigger: .web, originNumber: "5001", destinations: [],
            notBefore: now), at: now)
        let grants = CallbackALegGrants(store: store, request: request, houseAccount: nil, log: log)
        guard case .place(let billing) = grants.decide(try route("5001", contact: true), callerID: "1001", at: now) else {
            return XCTFail("a registered phone is called")
        }
        let billed = try XCTUnwrap(billing as? CallbackALegBilling)
        XCTAssertNil(billed.placed, "no rate, nothing reserved")
        XCTAssertEqual(try openReservations(), 0)
        billed.outboundLegEnded(OutboundLegRecord(
            callID: "x", aLegCallID: "", context: IVR.CallContext(caller: "", dnis: ""), trunk: ForwardPlan.registeredTrunk,
            dialled: "5001", number: "5001", callerID: "1001", startedAt: now, answeredAt: nil,
            endedAt: now.addingTimeInterval(30), outcome: .noAnswer, sipStatus: 408))
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, try store.callLegs(since: nil, account: ids["alice"]).isEmpty { usleep(10_000) }
        let leg = try XCTUnwrap(try store.callLegs(since: nil, account: ids["alice"]).first)
        XCTAssertEqual(leg.disposition, .noAnswer)
        XCTAssertEqual(leg.sipCause, 408)
        XCTAssertEqual(leg.trigger, "web")
        XCTAssertEqual(leg.costMinorUnits, 0)
    }

    /// Two callbacks of one account may be up at once: each A leg sets aside half of what is
    /// free then, so the second is placed too (one leg alone would hold the whole balance).
    func testEachALegHoldsItsShareSoTheNextCallbackIsPlacedToo() throws {
        var placed: [CallBillingMachine.PlacedAccessLeg] = []
        for number in ["4930111", "4930112"] {
            let request = try store.enqueueCallback(NewCallbackRequest(
                accountID: ids["alice"], campaign: "cb", trigger: .web, originNumber: number, destinations: [],
                notBefore: now), at: now)
            var grants = CallbackALegGrants(store: store, request: request, houseAccount: nil, log: log)
            grants.shares = .init(account: 2, house: 1)
            guard case .place(let billing) = grants.decide(try route(number), callerID: "1001", at: now),
                  let leg = (billing as? CallbackALegBilling)?.placed else { return XCTFail("\(number) not placed") }
            placed.append(leg)
        }
        // 5.0000 free at 0.48/min: the first holds 2.5000 (312 s), the second half of the rest.
        XCTAssertEqual(placed.map(\.amount), [try eur("2.4960"), try eur("1.2480")])
        XCTAssertEqual(placed.map(\.grantedSeconds), [312, 156])
    }

    private func openReservations() throws -> Int {
        try ids.values.reduce(0) { $0 + (try store.openReservations(account: $1).count) }
    }

    private func waitForClosed(leg id: Int64, account: Int64) throws -> CallLeg {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if let leg = try store.callLegs(since: nil, account: account).first(where: { $0.id == id }), !leg.isOpen {
                return leg
            }
            usleep(10_000)
        }
        throw LegStillOpen()
    }
}

/// The leg stayed open past the deadline.
private struct LegStillOpen: Error, CustomStringConvertible {
    var description: String { "the leg was not closed within 5 s" }
}
