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

    func testALegPlacedWithoutMoneyOpensNoAccessLegLater() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        XCTAssertTrue(machine.accessLegPlaced(nil, at: answered).isEmpty)
        XCTAssertTrue(machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan())).isEmpty,
                      "a registered phone is not rated after the answer either")
        XCTAssertNil(machine.accessLeg)
    }

    func testAnUnboundCallsDialIsPlacedUnbilledAndAnUnratedOneRefused() throws {
        var unbound = CallBillingMachine(call: call, heartbeat: 5)
        let free = unbound.forwardWillDial(number: "4930777", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: nil, ending: false, at: answered)
        XCTAssertTrue(free.contains { if case .forwardDecided(.unbilled) = $0 { true } else { false } }, "\(free)")
        var bound = CallBillingMachine(call: call, heartbeat: 5)
        _ = bound.authenticated(.init(accountID: 1, login: "alice", plan: try plan()))
        let refused = bound.forwardWillDial(number: "4990123", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                            pricing: .unpriceable(reason: "4990123 is blocked"), ending: false, at: answered)
        XCTAssertTrue(refused.contains { if case .forwardDecided(.refused(.failed, "4990123 is blocked")) = $0 { true } else { false } },
                      "\(refused)")
    }
}
