import Billing
import Foundation
import IVR
@testable import Store
@testable import Switchboard
import XCTest

/// `CallBillingMachine` alone: events in, actions out, no store, no clock.
final class CallBillingMachineTests: XCTestCase {
    private let answered = Date(timeIntervalSince1970: 1_800_000_000)
    private let call = CallBilling.Call(caller: "5551234", accessNumber: "1000", campaign: "card",
                                        startedAt: Date(timeIntervalSince1970: 1_799_999_998),
                                        answeredAt: Date(timeIntervalSince1970: 1_800_000_000))

    private func plan(chargesALeg: Bool = true) throws -> RatePlan {
        try RatePlan(name: "card", currency: "EUR", chargesALeg: chargesALeg, rates: [
            try Rate(prefix: "1000", description: "access", perMinute: Money.parse("0.0300", currency: "EUR"),
                     connectionFee: Money.parse("0.0050", currency: "EUR"), increments: BillingIncrements(first: 1, following: 1)),
            try Rate(prefix: "49", description: "Germany", perMinute: Money.parse("0.4800", currency: "EUR"),
                     connectionFee: Money.parse("0", currency: "EUR"), increments: BillingIncrements(first: 1, following: 1)),
        ])
    }

    private func grant(reservation: Int64, leg: Int64, _ kind: Leg, seconds: Int, to number: String = "1000") -> LegGrant {
        let reservationRecord = Reservation(
            id: reservation, accountID: 1, amountMinorUnits: 350, currency: "EUR", maxDurationSeconds: seconds,
            campaign: "card", trigger: "card", state: .open, chargedMinorUnits: nil, createdAt: answered, settledAt: nil)
        let legRecord = CallLeg(
            id: leg, accountID: 1, reservationID: reservation, campaign: "card", trigger: "card", leg: kind,
            fromNumber: "5551234", toNumber: number, startedAt: answered, answeredAt: kind == .a ? answered : nil,
            lastProgressAt: nil, endedAt: nil, ratePrefix: number, ratePerMinuteMinorUnits: 300, connectionFeeMinorUnits: 50,
            firstIncrement: 1, followingIncrement: 1, charged: true, billedSeconds: 0, costMinorUnits: 0, currency: "EUR",
            disposition: .inProgress, sipCause: nil, isOpen: true, grantedSeconds: seconds)
        return LegGrant(reservation: reservationRecord, leg: legRecord, grantedSeconds: seconds)
    }

    /// A machine whose access leg (reservation 7, leg 70) is billed for 60 s, opened at 3 s.
    private func billedMachine() throws -> CallBillingMachine {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: answered)
        _ = machine.written(.accessLeg(.opened(grant(reservation: 7, leg: 70, .a, seconds: 60))),
                            at: answered.addingTimeInterval(3))
        return machine
    }

    func testAChargingPlanAsksTheStoreToOpenTheAccessLegAndAFreeOneDoesNot() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        let actions = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: answered)
        guard actions.count == 1, case let .write(.openAccessLeg(request)) = actions[0] else { return XCTFail("\(actions)") }
        XCTAssertEqual(request.accountID, 1)
        XCTAssertEqual(request.accessNumber, "1000")
        XCTAssertEqual(request.answeredAt, answered)
        XCTAssertTrue(machine.authenticated(.init(accountID: 2, login: "bob", plan: try plan()), at: answered).isEmpty,
                      "the first binding decides who pays")

        var free = CallBillingMachine(call: call, heartbeat: 5)
        XCTAssertTrue(free.authenticated(.init(accountID: 1, login: "alice", plan: try plan(chargesALeg: false)), at: answered).isEmpty)
        XCTAssertNil(free.accessLeg)
    }

    func testAnOpenedAccessLegArmsTheCutAtItsGrantAndTheFirstHeartbeat() throws {
        var machine = CallBillingMachine(call: call, heartbeat: 5)
        _ = machine.authenticated(.init(accountID: 1, login: "alice", plan: try plan()), at: answered)
        let actions = machine.written(.accessLeg(.opened(grant(reservation: 7, leg: 70, .a, seconds: 60))),
                                      at: answered.addingTimeInterval(3))
        XCTAssertEqual(actions.compactMap(\.cut), [answered.addingTimeInterval(60)])
        XCTAssertEqual(actions.compactMap(\.heartbeat), [answered.addingTimeInterval(8)])
        XCTAssertEqual(machine.accessLeg?.reservationID, 7)
    }

    func testTheCutHangsUpOutOfCreditOnlyWhenDueAndOnce() throws {
        var machine = try billedMachine()
        XCTAssertTrue(machine.cutDue(at: answered.addingTimeInterval(59)).isEmpty, "a stale, earlier timer")
        let actions = machine.cutDue(at: answered.addingTimeInterval(60))
        XCTAssertEqual(actions.compactMap(\.hangUp).count, 1)
        XCTAssertTrue(machine.cutDue(at: answered.addingTimeInterval(61)).isEmpty)
        // The hang-up then settles the leg as cut for credit.
        let end = machine.callEnded(at: answered.addingTimeInterval(60))
        guard case let .write(.settle(reservation, endings))? = end.last else { return XCTFail("\(end)") }
        XCTAssertEqual(reservation, 7)
        XCTAssertEqual(endings, [LegEnding(legID: 70, endedAt: answered.addingTimeInterval(60), disposition: .outOfCredit,
                                           sipCause: 200)])
    }

    func testHeartbeatsRecordEveryBilledLegAndReArm() throws {
        var machine = try billedMachine()
        let actions = machine.heartbeatDue(at: answered.addingTimeInterval(8))
        guard case let .write(.recordProgress(legs, time)) = actions.first else { return XCTFail("\(actions)") }
        XCTAssertEqual(legs, [70])
        XCTAssertEqual(time, answered.addingTimeInterval(8))
        XCTAssertEqual(actions.compactMap(\.heartbeat), [answered.addingTimeInterval(13)])
    }

    func testAJointForwardMovesTheCutAndItsCloseMovesItBack() throws {
        var machine = try billedMachine()
        let dial = machine.forwardWillDial(number: "4930777", callerID: "5551234", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: .rated(try plan()), ending: false, at: answered.addingTimeInterval(10))
        guard case let .write(.openForward(request)) = dial.first else { return XCTFail("\(dial)") }
        XCTAssertEqual(request.accessLeg, AccessLegShare(reservationID: 7, legID: 70, elapsedSeconds: 40))
        let opened = machine.written(.forward(.opened(grant(reservation: 7, leg: 71, .b, seconds: 114, to: "4930777"),
                                                      accessLegSeconds: 154)), at: answered.addingTimeInterval(10))
        XCTAssertEqual(opened.compactMap(\.cut), [answered.addingTimeInterval(154)])
        XCTAssertEqual(opened.compactMap(\.decision), [.granted(legID: 71, maxDurationSeconds: 114)])
        XCTAssertEqual(machine.cutDeadline, answered.addingTimeInterval(154))

        // A second forward while this one is up is refused without asking the store.
        let second = machine.forwardWillDial(number: "4930777", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                             pricing: .rated(try plan()), ending: false, at: answered.addingTimeInterval(11))
        XCTAssertEqual(second.compactMap(\.decision).count, 1)
        XCTAssertFalse(second.contains { if case .write = $0 { return true } else { return false } })
    }

    func testAStoreFailureWhileOpeningAForwardRefusesItAsFailed() throws {
        var machine = try billedMachine()
        let dial = machine.forwardWillDial(number: "4930777", callerID: "", limitSeconds: nil, ringTimeoutSeconds: 30,
                                           pricing: .rated(try plan()), ending: false, at: answered.addingTimeInterval(10))
        guard case let .write(write) = dial.first else { return XCTFail("\(dial)") }
        let actions = machine.written(.failed(write, reason: "disk I/O error"), at: answered.addingTimeInterval(10))
        guard case let .refused(.failed, reason)? = actions.compactMap(\.decision).first else { return XCTFail("\(actions)") }
        XCTAssertTrue(reason.contains("disk I/O error"), reason)
        XCTAssertEqual(machine.cutDeadline, answered.addingTimeInterval(60), "the access leg's cut stands")
    }
}

private extension CallBillingMachine.Action {
    var cut: Date? { if case let .armCut(at) = self { return at } else { return nil } }
    var heartbeat: Date? { if case let .armHeartbeat(at) = self { return at } else { return nil } }
    var hangUp: String? { if case let .hangUpOutOfCredit(reason) = self { return reason } else { return nil } }
    var decision: CallBilling.ForwardGrant? { if case let .forwardDecided(grant) = self { return grant } else { return nil } }
}
