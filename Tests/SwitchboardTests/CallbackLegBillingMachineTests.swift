import Billing
import Foundation
import IVR
@testable import Store
@testable import Switchboard
import XCTest

/// A callback's A leg in `CallBillingMachine`: it was rated, reserved and opened before
/// its INVITE (`CallbackALegGrants`), so the answered call adopts it (answer recorded, cut
/// at its grant, settled at the end) instead of opening another; a PIN callback's leg paid
/// by the house account is handed over to the user the PIN names: the house pays up to the
/// PIN, the user from then on, as the user's plan rates the leg.
final class CallbackLegBillingMachineTests: XCTestCase {
    private let answered = Date(timeIntervalSince1970: 1_800_000_000)
    private lazy var call = CallBilling.Call(caller: "4930111", accessNumber: "4930111", campaign: "cb", trigger: .sipPIN,
                                             startedAt: answered, answeredAt: answered)

    private func plan(chargesALeg: Bool = true) throws -> RatePlan {
        try RatePlan(name: "card", currency: "EUR", chargesALeg: chargesALeg, rates: [
            try Rate(prefix: "49", description: "Germany", perMinute: Money.parse("0.4800", currency: "EUR"),
                     connectionFee: Money.parse("0", currency: "EUR"), increments: BillingIncrements(first: 1, following: 1)),
        ])
    }

    private func placed(account: Int64) throws -> CallBillingMachine.PlacedAccessLeg {
        CallBillingMachine.PlacedAccessLeg(accountID: account, login: account == 9 ? "guest" : "alice", plan: try plan(),
                                           reservationID: 7, legID: 70, grantedSeconds: 120,
                                           amount: try Money.parse("0.9600", currency: "EUR"),
                                           number: "4930111", callerID: "4930100", userShareParts: 2)
    }

    private var pinAt: Date { answered.addingTimeInterval(12) }

    /// What the store answers to the handover: the house leg settled, alice's leg opened
    /// at the PIN (reservation 8, leg 80, `seconds` granted) or refused.
    private func handedOver(seconds: Int?) throws -> CallBillingMachine.WriteResult {
        let house = Reservation(id: 7, accountID: 9, amountMinorUnits: 9600, currency: "EUR", maxDurationSeconds: 120,
                                campaign: "cb", trigger: "sip-pin", state: .settled, chargedMinorUnits: 960,
                                createdAt: answered, settledAt: pinAt)
        let settled = Settlement(reservation: house, legs: [leg(70, account: 9, answeredAt: answered, open: false)],
                                 charged: try Money.parse("0.0960", currency: "EUR"),
                                 balanceAfter: try Money.parse("9.9040", currency: "EUR"))
        guard let seconds else {
            return .handedOver(AccessLegHandover(settled: settled, opened: .refused(
                .insufficientFunds(free: try Money.parse("0", currency: "EUR"), requested: try Money.parse("0.0080", currency: "EUR")), cdr: leg(81, account: 1, answeredAt: pinAt, open: false))))
        }
        let mine = Reservation(id: 8, accountID: 1, amountMinorUnits: 4800, currency: "EUR", maxDurationSeconds: seconds,
                               campaign: "cb", trigger: "sip-pin", state: .open, chargedMinorUnits: nil,
                               createdAt: pinAt, settledAt: nil)
        return .handedOver(AccessLegHandover(settled: settled, opened: .opened(LegGrant(
            reservation: mine, leg: leg(80, account: 1, answeredAt: pinAt, open: true), grantedSeconds: seconds))))
    }

    private func leg(_ id: Int64, account: Int64, answeredAt: Date, open: Bool) -> CallLeg {
        CallLeg(id: id, accountID: account, reservationID: account == 9 ? 7 : 8, campaign: "cb", trigger: "sip-pin", leg: .a,
                fromNumber: "4930100", toNumber: "4930111", startedAt: answeredAt, answeredAt: answeredAt,
                lastProgressAt: nil, endedAt: open ? nil : pinAt, ratePrefix: "49", ratePerMinuteMinorUnits: 4800,
                connectionFeeMinorUnits: 0, firstIncrement: 1, followingIncrement: 1, charged: true, billedSeconds: 0,
                costMinorUnits: 0, currency: "EUR", disposition: open ? .inProgress : .answered, sipCause: nil,
                isOpen: open, grantedSeconds: 120)
    }

    func testThePlacedLegIsAdoptedAnsweredAndCutAtItsGrant() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        let actions = machine.accessLegPlaced(try placed(account: 1), at: answered)
        guard case let .write(.recordAnswer(leg, time))? = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(leg, 70)
        XCTAssertEqual(time, answered)
        XCTAssertTrue(actions.contains { if case .armCut(answered.addingTimeInterval(120)) = $0 { true } else { false } })
        XCTAssertEqual(machine.accessLeg?.reservationID, 7)
        // The trigger's account binds: no second access leg is opened.
        XCTAssertTrue(machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: answered).isEmpty)
        // Its forward shares the A leg's reservation (same payer).
        let dial = machine.forwardWillDial(number: "4930777", callerID: "1001", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: .rated(try plan()), ending: false, at: answered.addingTimeInterval(10))
        guard case let .write(.openForward(request))? = dial.first else { return XCTFail("\(dial)") }
        XCTAssertEqual(request.accessLeg?.reservationID, 7)
        XCTAssertEqual(request.call.trigger, "sip-pin")
        // The end settles the adopted leg.
        var ended = CallBillingMachine(call: call, heartbeat: 5)
        _ = ended.accessLegPlaced(try placed(account: 1), at: answered)
        let end = ended.callEnded(at: answered.addingTimeInterval(30))
        guard case let .write(.settle(reservation, endings))? = end.last else { return XCTFail("\(end)") }
        XCTAssertEqual(reservation, 7)
        XCTAssertEqual(endings.map(\.legID), [70])
    }

    func testThePINHandsTheHouseLegOverToTheUserWhoPaysFromThenOn() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.accessLegPlaced(try placed(account: 9), at: answered)
        let actions = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: pinAt)
        guard actions.count == 1, case let .write(.handOverAccessLeg(reservation, ending, request, parts)) = actions[0] else {
            return XCTFail("\(actions)")
        }
        XCTAssertEqual(reservation, 7, "the house's reservation is settled")
        XCTAssertEqual(ending, LegEnding(legID: 70, endedAt: pinAt, disposition: .answered, sipCause: 200))
        XCTAssertEqual(request.accountID, 1)
        XCTAssertEqual([request.caller, request.accessNumber], ["4930100", "4930111"], "the same leg, rated as the number it reached")
        XCTAssertEqual(request.startedAt, pinAt)
        XCTAssertEqual(request.answeredAt, pinAt, "alice's talk time counts from the PIN")
        XCTAssertEqual(request.call.trigger, "sip-pin")
        XCTAssertEqual(parts, 2, "alice's share, as any of her callbacks' A legs")

        let opened = machine.written(try handedOver(seconds: 300), at: pinAt)
        XCTAssertTrue(opened.contains { if case .armCut(pinAt.addingTimeInterval(300)) = $0 { true } else { false } },
                      "the cut is where alice's money ends, counted from the PIN: \(opened)")
        XCTAssertTrue(opened.contains { if case .log("access leg handed over", let fields) = $0 { fields["cost"] == "0.0960 EUR" } else { false } },
                      "\(opened)")
        XCTAssertEqual(machine.accessLeg?.reservationID, 8)
        XCTAssertEqual(machine.accessLeg?.answeredAt, pinAt)
        XCTAssertTrue(machine.authenticated(.init(accountID: 2, login: "bob", plan: try plan()), at: pinAt).isEmpty,
                      "the first binding decides")
        // Her forward now shares her access leg's reservation, the leg's time counted from the PIN.
        let dial = machine.forwardWillDial(number: "4930777", callerID: "1001", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: .rated(try plan()), ending: false, at: pinAt.addingTimeInterval(10))
        guard case let .write(.openForward(forward))? = dial.first else { return XCTFail("\(dial)") }
        XCTAssertEqual(forward.accountID, 1)
        XCTAssertEqual(forward.accessLeg?.reservationID, 8)
        XCTAssertEqual(forward.accessLeg?.legID, 80)
        XCTAssertEqual(forward.accessLeg?.elapsedSeconds, 10 + 30)
        // The end settles alice's reservation, not the house's again.
        let end = machine.callEnded(at: pinAt.addingTimeInterval(60))
        guard case let .write(.settle(settled, endings))? = end.last else { return XCTFail("\(end)") }
        XCTAssertEqual(settled, 8)
        XCTAssertEqual(endings.map(\.legID), [80])
    }

    func testAUserWhoCannotPayForTheRestOfTheLegIsCutAndTheHouseLegStaysSettled() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.accessLegPlaced(try placed(account: 9), at: answered)
        _ = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: pinAt)
        let refused = machine.written(try handedOver(seconds: nil), at: pinAt)
        XCTAssertTrue(refused.contains { if case .hangUpOutOfCredit = $0 { true } else { false } }, "\(refused)")
        XCTAssertTrue(refused.contains { if case .cancelCut = $0 { true } else { false } }, "the house leg's cut is gone: \(refused)")
        XCTAssertNil(machine.accessLeg)
        XCTAssertFalse(machine.callEnded(at: pinAt.addingTimeInterval(1)).contains { if case .write = $0 { true } else { false } },
                       "nothing is left to settle")
    }

    func testAFailedHandoverLeavesTheLegWithTheHouseAndAPlanWithoutALegChargesKeepsItThere() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.accessLegPlaced(try placed(account: 9), at: answered)
        guard case let .write(write)? = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: pinAt).first else {
            return XCTFail("no handover")
        }
        let failed = machine.written(.failed(write, reason: "disk I/O error"), at: pinAt)
        XCTAssertTrue(failed.contains { if case .problem("access leg not handed over", _) = $0 { true } else { false } }, "\(failed)")
        XCTAssertEqual(machine.accessLeg?.reservationID, 7, "the house goes on paying: nothing was written")
        let dial = machine.forwardWillDial(number: "4930777", callerID: "1001", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: .rated(try plan()), ending: false, at: pinAt)
        guard case let .write(.openForward(forward))? = dial.first else { return XCTFail("\(dial)") }
        XCTAssertEqual(forward.accountID, 1)
        XCTAssertNil(forward.accessLeg, "the house's reservation is not alice's")

        var free = CallBillingMachine(call: call, heartbeat: 5)
        _ = free.accessLegPlaced(try placed(account: 9), at: answered)
        let kept = free.authenticated(.init(accountID: 1, login: "alice", plan: try plan(chargesALeg: false)), at: pinAt)
        XCTAssertFalse(kept.contains { if case .write = $0 { true } else { false } }, "\(kept)")
        XCTAssertEqual(free.accessLeg?.reservationID, 7, "the operator carries an A leg the user's plan does not charge")
        // The trigger's own account placed the leg: nothing to hand over.
        var own = CallBillingMachine(call: call, heartbeat: 5)
        _ = own.accessLegPlaced(try placed(account: 1), at: answered)
        XCTAssertTrue(own.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: pinAt).isEmpty)
    }

    /// A conference paid by the access leg's payer: the access leg, which alone holds all
    /// the account can commit, keeps one share in `parties + 1` and the cut follows the
    /// store's resize; a house-paid leg or a leg already within its share is left alone.
    func testAConferenceTakesAllButItsShareFromTheAccessLeg() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.accessLegPlaced(try placed(account: 1), at: answered)
        _ = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: answered)
        // 0.9600 held + 0.0000 free, two parties: the A leg keeps 0.3200 (40 s at 0.48/min).
        let actions = machine.conferenceWillReserve(parties: 2, freeBalance: try Money.parse("0", currency: "EUR"),
                                                    at: answered.addingTimeInterval(10))
        guard case let .write(.resizeAccessLeg(reservation, leg, _, limit))? = actions.first, actions.count == 1 else {
            return XCTFail("\(actions)")
        }
        XCTAssertEqual([reservation, leg], [7, 70])
        XCTAssertEqual(limit, 10 + 40)
        let resized = Reservation(id: 7, accountID: 1, amountMinorUnits: 4000, currency: "EUR", maxDurationSeconds: 50,
                                  campaign: "cb", trigger: "sip-pin", state: .open, chargedMinorUnits: nil,
                                  createdAt: answered, settledAt: nil)
        let after = machine.written(.accessLegResized(.resized(resized, grantedSeconds: 50)), at: answered.addingTimeInterval(10))
        XCTAssertTrue(after.contains { if case .armCut(answered.addingTimeInterval(50)) = $0 { true } else { false } }, "\(after)")
        XCTAssertTrue(machine.conferenceWillReserve(parties: 2, freeBalance: try Money.parse("0.6000", currency: "EUR"),
                                                    at: answered.addingTimeInterval(10)).isEmpty,
                      "already within its share: 1.0000 / 3 buys more than its 50 s")

        // A leg the house keeps (alice's plan charges no A leg) is not hers to share.
        var house = CallBillingMachine(call: call, heartbeat: 5)
        _ = house.accessLegPlaced(try placed(account: 9), at: answered)
        _ = house.authenticated(.init(accountID: 1, login: "alice", plan: try plan(chargesALeg: false)), at: answered)
        XCTAssertTrue(house.conferenceWillReserve(parties: 2, freeBalance: try Money.parse("0", currency: "EUR"),
                                                  at: answered).isEmpty, "the house's leg is not alice's money")
    }

    func testALegPlacedWithoutMoneyOpensNoAccessLegLater() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        XCTAssertTrue(machine.accessLegPlaced(nil, at: answered).isEmpty)
        XCTAssertTrue(machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: answered).isEmpty,
                      "a registered phone is not rated after the answer either")
        XCTAssertNil(machine.accessLeg)
    }

    func testAnUnboundCallsDialReachesOnlyUsersAndAnUnratedOneIsRefused() throws {
        var unbound = CallBillingMachine(call: call, heartbeat: 5)
        let trunk = unbound.forwardWillDial(number: "4930777", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                            pricing: nil, ending: false, at: answered)
        XCTAssertTrue(trunk.contains {
            if case .forwardDecided(.refused(.failed, TrunkLegAdmission.unboundTrunkLegRefusal)) = $0 { true } else { false }
        }, "\(trunk)")
        XCTAssertTrue(trunk.contains {
            if case .log("forward refused", let fields) = $0 { fields["reason"] == TrunkLegAdmission.unboundTrunkLegRefusal } else { false }
        }, "the refusal is logged with its reason: \(trunk)")
        let free = unbound.forwardWillDial(number: "bob", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: .user, ending: false, at: answered)
        XCTAssertTrue(free.contains { if case .forwardDecided(.unbilled) = $0 { true } else { false } }, "\(free)")
        var bound = CallBillingMachine(call: call, heartbeat: 5)
        _ = bound.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: answered)
        let refused = bound.forwardWillDial(number: "4990123", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                            pricing: .unpriceable(reason: "4990123 is blocked"), ending: false, at: answered)
        XCTAssertTrue(refused.contains { if case .forwardDecided(.refused(.failed, "4990123 is blocked")) = $0 { true } else { false } },
                      "\(refused)")
    }
}
