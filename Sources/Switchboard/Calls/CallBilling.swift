import Billing
import Foundation
import Store

/// Bills one inbound call's access leg (DESIGN.md "Billing": the plan says whether the A
/// leg is charged): once a script has authenticated an account whose plan charges A legs,
/// the cost of the leg's maximum duration is reserved, the leg is opened as a CDR in
/// progress with its answer time, a heartbeat records that it is still up (what recovery
/// bills after a crash), the call is cut when the reserved time is used up, and hanging up
/// settles it: CDR, ledger entry and balance in one Store transaction.
///
/// `InboundCall` tells it two things: an account was authenticated, the call ended. It
/// runs off the SIP event loop (an actor on the cooperative pool; its Store calls are
/// short, synchronous writes, so each method runs whole, never interleaved with another)
/// and asks the call to hang up through `cut`, which hops back to the SIP loop.
actor CallBilling {
    /// The call, as its CDR describes it.
    struct Call: Sendable {
        var caller: String
        var accessNumber: String
        var campaign: String?
        var startedAt: Date
        var answeredAt: Date
    }

    /// How often a live leg records that it is still up. After `kill -9`, recovery bills
    /// an open leg up to its last heartbeat, so this bounds what a crash can leave unbilled.
    static let defaultHeartbeat: Duration = .seconds(5)

    private enum State {
        /// No account is billed (yet).
        case idle
        /// The account's plan does not charge this leg, or it could not be rated.
        case unbilled
        case billing(Open)
        case ended
    }

    private struct Open {
        var reservation: AccessLegReservation
        var legID: Int64
        var maxDurationSeconds: Int
        var login: String
    }

    private let call: Call
    private let store: any SwitchbackStore
    private let log: CallLogger
    private let heartbeat: Duration
    private let now: @Sendable () -> Date
    private let cut: @Sendable (String) -> Void
    private var state = State.idle
    private var outOfCredit = false
    private var timers: [Task<Void, Never>] = []

    /// - Parameter cut: ends the call (a BYE from the server); called at most once, when
    ///   the reserved time is used up or nothing can be reserved.
    init(call: Call, store: any SwitchbackStore, log: CallLogger, heartbeat: Duration = CallBilling.defaultHeartbeat,
         now: @escaping @Sendable () -> Date = { Date() }, cut: @escaping @Sendable (String) -> Void) {
        self.call = call
        self.store = store
        self.log = log
        self.heartbeat = heartbeat
        self.now = now
        self.cut = cut
    }

    /// The access leg's reservation while it is being billed, for the call's credit check.
    var accessLeg: AccessLegReservation? {
        if case .billing(let open) = state { return open.reservation }
        return nil
    }

    /// A script bound the call to `login`. The first binding decides who pays for the leg.
    func accountAuthenticated(login: String) {
        guard case .idle = state else { return }
        state = .unbilled
        do {
            guard let account = try store.account(login: login), let accountID = account.id,
                  let planName = account.ratePlan, let plan = try store.ratePlan(named: planName),
                  plan.chargesALeg
            else { return }
            let rate: Rate
            do {
                rate = try plan.rate(for: call.accessNumber)
            } catch {
                log.problem("access leg not billed", ["account": login, "reason": "\(error)"])
                return
            }
            // The access leg rated as the destination it is; its talk time counts from the
            // answer, so the seconds already spent in the script are inside the maximum.
            let outcome = try store.reserveForCall(
                account: accountID, plan: plan, aLeg: nil, bNumber: call.accessNumber,
                limit: MaximumDuration.defaultLimit, call: Store.CallContext(campaign: call.campaign, trigger: "card"),
                replacing: nil, at: now())
            switch outcome {
            case let .refused(refusal):
                refused(login: login, accountID: accountID, refusal: refusal)
            case let .reserved(reservation, duration):
                try opened(reservation, maxDurationSeconds: duration?.seconds ?? 0, rate: rate, login: login)
            }
        } catch {
            log.problem("access leg not billed", ["account": login, "reason": "store error: \(error)"])
        }
    }

    /// The call is over (either side hung up, or it was cut): settle what it cost.
    func callEnded(at endedAt: Date) {
        let previous = state
        state = .ended
        for timer in timers { timer.cancel() }
        timers.removeAll()
        guard case .billing(let open) = previous else { return }
        let ending = LegEnding(legID: open.legID, endedAt: endedAt,
                               disposition: outOfCredit ? .outOfCredit : .answered, sipCause: 200)
        do {
            let settlement = try store.settle(reservation: open.reservation.reservationID, endings: [ending], at: now())
            let leg = settlement.legs.first { $0.id == open.legID }
            log.event("access leg settled", [
                "account": open.login, "reservation": "\(open.reservation.reservationID)", "leg": "\(open.legID)",
                "billed-seconds": "\(leg?.billedSeconds ?? 0)", "cost": settlement.charged.description,
                "balance": settlement.balanceAfter.description, "disposition": ending.disposition.rawValue,
            ])
        } catch {
            // The reservation stays open: the next start's recovery settles it from the heartbeat.
            log.problem("access leg not settled", ["reservation": "\(open.reservation.reservationID)", "reason": "\(error)"])
        }
    }

    // MARK: - Steps

    private func opened(_ reservation: Reservation, maxDurationSeconds: Int, rate: Rate, login: String) throws {
        let reservationID = reservation.id!
        let leg: CallLeg
        do {
            leg = try store.openLeg(reservation: reservationID, NewCallLeg(
                leg: .a, fromNumber: call.caller, toNumber: call.accessNumber, startedAt: call.startedAt,
                rate: rate, charged: true))
            try store.recordAnswer(leg: leg.id!, at: call.answeredAt)
        } catch {
            // Release the money rather than hold it until the next restart.
            _ = try? store.settle(reservation: reservationID, endings: [], at: now())
            throw error
        }
        let open = Open(reservation: AccessLegReservation(reservationID: reservationID, amount: reservation.amount,
                                                          answeredAt: call.answeredAt, accessNumber: call.accessNumber),
                        legID: leg.id!, maxDurationSeconds: maxDurationSeconds, login: login)
        state = .billing(open)
        log.event("access leg billed", [
            "account": login, "reservation": "\(reservationID)", "leg": "\(leg.id!)", "reserved": reservation.amount.description,
            "max-duration": "\(maxDurationSeconds)", "rate": rate.prefix,
        ])
        startTimers(open)
    }

    /// Not even the first increment is affordable: the caller cannot stay on a charged line.
    private func refused(login: String, accountID: Int64, refusal: ReservationRefusal) {
        log.event("access leg refused", ["account": login, "reason": refusal.description])
        let ended = now()
        do {
            _ = try store.recordUnbilledLeg(UnbilledCallLeg(
                accountID: accountID, campaign: call.campaign, trigger: "card", leg: .a, fromNumber: call.caller,
                toNumber: call.accessNumber, startedAt: call.startedAt, answeredAt: call.answeredAt, endedAt: ended,
                disposition: .outOfCredit, sipCause: 200))
        } catch {
            log.problem("CDR not written", ["reason": "\(error)"])
        }
        state = .ended
        cut("no credit for the access leg: \(refusal)")
    }

    private func startTimers(_ open: Open) {
        let interval = heartbeat
        timers.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await self?.recordProgress()
            }
        })
        let deadline = open.reservation.answeredAt.addingTimeInterval(TimeInterval(open.maxDurationSeconds))
        let wait = max(0, deadline.timeIntervalSince(now()))
        timers.append(Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
            guard !Task.isCancelled else { return }
            await self?.creditUsedUp()
        })
    }

    private func recordProgress() {
        guard case .billing(let open) = state else { return }
        let time = now()
        do {
            try store.recordProgress(legs: [open.legID], at: time)
            log.event("billing progress", ["leg": "\(open.legID)",
                                           "answered-seconds": "\(Int(time.timeIntervalSince(open.reservation.answeredAt)))"])
        } catch {
            log.problem("billing progress not recorded", ["leg": "\(open.legID)", "reason": "\(error)"])
        }
    }

    private func creditUsedUp() {
        guard case .billing(let open) = state, !outOfCredit else { return }
        outOfCredit = true
        log.event("credit used up", ["leg": "\(open.legID)", "max-duration": "\(open.maxDurationSeconds)"])
        cut("reserved credit used up after \(open.maxDurationSeconds) s")
    }
}
