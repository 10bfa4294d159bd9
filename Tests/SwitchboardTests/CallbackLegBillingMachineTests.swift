import Billing
import Foundation
import IVR
@testable import Store
@testable import Switchboard
import XCTest

/// A callback's A leg in `CallBillingMachine`: it was rated, reserved and opened before
/// its INVITE (`CallbackALegGrants`), so the answered call adopts it (answer recorded, cut
/// at its grant, settled at the end) instead of opening another; a PIN callback's leg paid
/// by the house account never shares its reservation with the authenticated user's forwards.
final class CallbackLegBillingMachineTests: XCTestCase {
    private let answered = Date(timeIntervalSince1970: 1_800_000_000)
    private lazy var call = CallBilling.Call(caller: "4930111", accessNumber: "4930111", campaign: "cb", trigger: .sipPIN,
                                             startedAt: answered, answeredAt: answered)

    private func plan() throws -> RatePlan {
        try RatePlan(name: "card", currency: "EUR", chargesALeg: true, rates: [
            try Rate(prefix: "49", description: "Germany", perMinute: Money.parse("0.4800", currency: "EUR"),
                     connectionFee: Money.parse("0", currency: "EUR"), increments: BillingIncrements(first: 1, following: 1)),
        ])
    }

    private func placed(account: Int64) throws -> CallBillingMachine.PlacedAccessLeg {
        CallBillingMachine.PlacedAccessLeg(accountID: account, login: account == 9 ? "guest" : "alice", plan: try plan(),
                                           reservationID: 7, legID: 70, grantedSeconds: 120,
                                           amount: try Money.parse("0.9600", currency: "EUR"))
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
        XCTAssertTrue(machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan())).isEmpty)
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

    func testAHousePaidLegDoesNotShareItsReservationWithThePINUsersForwards() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.accessLegPlaced(try placed(account: 9), at: answered)
        // The PIN authenticates alice: she pays for the forwards, on a reservation of her own.
        XCTAssertTrue(machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan())).isEmpty)
        let dial = machine.forwardWillDial(number: "4930777", callerID: "1001", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: .rated(try plan()), ending: false, at: answered.addingTimeInterval(10))
        guard case let .write(.openForward(request))? = dial.first else { return XCTFail("\(dial)") }
        XCTAssertEqual(request.accountID, 1)
        XCTAssertNil(request.accessLeg, "the house's reservation is not alice's")
    }

    /// A conference paid by the access leg's payer: the access leg, which alone holds all
    /// the account can commit, keeps one share in `parties + 1` and the cut follows the
    /// store's resize; a house-paid leg or a leg already within its share is left alone.
    func testAConferenceTakesAllButItsShareFromTheAccessLeg() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.accessLegPlaced(try placed(account: 1), at: answered)
        _ = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()))
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

        var house = CallBillingMachine(call: call, heartbeat: 5)
        _ = house.accessLegPlaced(try placed(account: 9), at: answered)
        _ = house.authenticated(.init(accountID: 1, login: "alice", plan: try plan()))
        XCTAssertTrue(house.conferenceWillReserve(parties: 2, freeBalance: try Money.parse("0", currency: "EUR"),
                                                  at: answered).isEmpty, "the house's leg is not alice's money")
    }

    func testALegPlacedWithoutMoneyOpensNoAccessLegLater() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        XCTAssertTrue(machine.accessLegPlaced(nil, at: answered).isEmpty)
        XCTAssertTrue(machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan())).isEmpty,
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
        _ = bound.authenticated(.init(accountID: 1, login: "alice", plan: try plan()))
        let refused = bound.forwardWillDial(number: "4990123", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                            pricing: .unpriceable(reason: "4990123 is blocked"), ending: false, at: answered)
        XCTAssertTrue(refused.contains { if case .forwardDecided(.refused(.failed, "4990123 is blocked")) = $0 { true } else { false } },
                      "\(refused)")
    }
}
