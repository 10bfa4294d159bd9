import Billing
import Foundation
import IVR
import Store

/// Bills one inbound call's access leg (DESIGN.md "Billing": the plan says whether the A
/// leg is charged): once a script has authenticated an account whose plan charges A legs,
/// the cost of the leg's maximum duration is reserved, the leg is opened as a CDR in
/// progress with its answer time, a heartbeat records that it is still up (what recovery
/// bills after a crash), the call is cut when the reserved time is used up, and hanging up
/// settles it: CDR, ledger entry and balance in one Store transaction.
///
/// A forward (`dial`) is billed here too (DESIGN.md "Billing": both legs rated, reserved
/// atomically before the call is placed). Its reservation is joint with the access leg's:
/// the access leg's reservation is resized (`reserveForCall(replacing:)`) to cover the A
/// leg (including the B leg's ring time) and the B leg's longest affordable talk, so the
/// two legs can never spend the same money. When the B leg ends and the A leg goes on
/// (`#11`, busy, the callee hangs up) the B leg is charged at once (`settleLeg`) and the
/// reservation shrinks back to the A leg alone; when the A leg hangs up first, one
/// settlement closes both. On a plan that does not charge A legs the forward has its own
/// reservation, settled when the B leg ends.
///
/// `InboundCall` tells it: an account was authenticated, a forward is about to be dialled,
/// the call ended; the B leg's `DialSession` (through `ForwardLegBilling`) tells it the
/// forward's answer and end. It runs off the SIP event loop (an actor on the cooperative pool; its Store calls are
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
        /// Talk seconds from the access leg's answer that the reservation pays for.
        var maxDurationSeconds: Int
        var login: String
    }

    /// What `forwardWillDial` decided about a forward's B leg.
    enum ForwardGrant: Sendable, Equatable {
        /// No account is bound to the call: the forward is placed and nobody is billed.
        case unbilled
        /// Money is set aside: place the call, as billed leg `legID`, for at most
        /// `maxDurationSeconds` of talk.
        case granted(legID: Int64, maxDurationSeconds: Int)
        /// Do not place the call: the dial ends with `outcome` (`out-of-credit` when nothing
        /// is affordable, `failed` for a destination the plan lacks or a store error).
        case refused(DialOutcome, reason: String)
    }

    /// Who pays for the call's legs: the account the script authenticated.
    private struct Payer {
        var accountID: Int64
        var login: String
    }

    /// The forward's B leg while it is dialled or up.
    private struct Forward {
        var legID: Int64
        var reservationID: Int64
        /// The reservation is the access leg's, resized (else the forward's own).
        var joint: Bool
        var number: String
        var maxDurationSeconds: Int
        var answeredAt: Date?
    }

    private let call: Call
    private let store: any SwitchbackStore
    private let log: CallLogger
    private let heartbeat: Duration
    private let now: @Sendable () -> Date
    private let cut: @Sendable (String) -> Void
    private var state = State.idle
    private var payer: Payer?
    private var forward: Forward?
    private var outOfCredit = false
    private var heartbeatTimer: Task<Void, Never>?
    private var cutTimer: Task<Void, Never>?
    /// Set (synchronously, on the SIP loop) the moment the call starts ending, before its
    /// forward is told to hang up: the forward's own end, which may reach this actor before
    /// `callEnded`, then leaves the B leg to the call's one settlement.
    private nonisolated let ending = EndingFlag()

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
            guard let account = try store.account(login: login), let accountID = account.id else { return }
            payer = Payer(accountID: accountID, login: login)
            guard let planName = account.ratePlan, let plan = try store.ratePlan(named: planName),
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

    /// The call is about to end (`callEnded` follows): called before its forward is hung
    /// up, so a B leg still up is settled with the access leg, not alone.
    nonisolated func callEnding() {
        ending.set()
    }

    /// The call is over (either side hung up, or it was cut): settle what it cost. A
    /// forward still up ends with it, at the same time, in the same settlement when the
    /// two legs share a reservation.
    func callEnded(at endedAt: Date) {
        let previous = state
        state = .ended
        stopTimers()
        let forward = self.forward
        self.forward = nil
        if let forward, !forward.joint {
            settleForward(forward, ending: forwardEnding(forward, at: endedAt))
        }
        guard case .billing(let open) = previous else { return }
        let ending = LegEnding(legID: open.legID, endedAt: endedAt,
                               disposition: outOfCredit ? .outOfCredit : .answered, sipCause: 200)
        var endings = [ending]
        if let forward, forward.joint { endings.append(forwardEnding(forward, at: endedAt)) }
        do {
            let settlement = try store.settle(reservation: open.reservation.reservationID, endings: endings, at: now())
            let leg = settlement.legs.first { $0.id == open.legID }
            log.event("access leg settled", [
                "account": open.login, "reservation": "\(open.reservation.reservationID)", "leg": "\(open.legID)",
                "billed-seconds": "\(leg?.billedSeconds ?? 0)", "leg-cost": (leg?.cost ?? settlement.charged).description,
                "cost": settlement.charged.description, "balance": settlement.balanceAfter.description,
                "disposition": ending.disposition.rawValue, "legs": "\(settlement.legs.count)",
            ])
        } catch {
            // The reservation stays open: the next start's recovery settles it from the heartbeat.
            log.problem("access leg not settled", ["reservation": "\(open.reservation.reservationID)", "reason": "\(error)"])
        }
    }

    // MARK: - Forward (the B leg of a dial)

    /// A forward to `number` is about to be placed: reserves for it (jointly with the
    /// access leg when that is billed) and opens its B leg as a CDR in progress.
    ///
    /// - Parameters:
    ///   - callerID: the CDR's `from` (the caller ID presented to the callee).
    ///   - limitSeconds: the script's own cap on the talk time, if any.
    ///   - ringTimeoutSeconds: how long the B leg may ring. The access leg keeps running
    ///     (and costing) meanwhile, so a joint reservation counts it as already elapsed.
    func forwardWillDial(number: String, callerID: String, limitSeconds: Int?, ringTimeoutSeconds: Int) -> ForwardGrant {
        if case .ended = state { return .refused(.failed, reason: "the call is over") }
        guard !ending.isSet else { return .refused(.failed, reason: "the call is ending") }
        guard forward == nil else { return .refused(.failed, reason: "a forward of this call is already up") }
        guard let payer else { return .unbilled }
        let time = now()
        do {
            guard let account = try store.account(id: payer.accountID) else {
                return refuseForward(.failed, "account \(payer.login) no longer exists", number: number)
            }
            guard let planName = account.ratePlan, let plan = try store.ratePlan(named: planName) else {
                return refuseForward(.failed, "account \(payer.login) has no rate plan", number: number)
            }
            let rate: Rate
            do {
                rate = try plan.rate(for: number)
            } catch {
                // A user of this service (its login dialled: registered phones, its forward)
                // is not a destination of the plan: that call is not rated.
                if try store.account(login: number) != nil {
                    log.event("forward not billed", ["to": number, "reason": "a user of this service"])
                    return .unbilled
                }
                return refuseForward(.failed, "\(error)", number: number)
            }
            var aLeg: ALegCharge?
            var replacing: Int64?
            if case .billing(let open) = state {
                let elapsed = Int(max(0, time.timeIntervalSince(open.reservation.answeredAt)).rounded(.up))
                aLeg = ALegCharge(number: call.accessNumber, elapsedSeconds: elapsed + max(0, ringTimeoutSeconds))
                replacing = open.reservation.reservationID
            }
            let limit = min(limitSeconds ?? MaximumDuration.defaultLimit, MaximumDuration.defaultLimit)
            let outcome = try store.reserveForCall(
                account: payer.accountID, plan: plan, aLeg: aLeg, bNumber: number, limit: limit,
                call: Store.CallContext(campaign: call.campaign, trigger: "card"), replacing: replacing, at: time)
            switch outcome {
            case let .refused(refusal):
                return refuseForward(.outOfCredit, refusal.description, number: number)
            case let .reserved(reservation, duration):
                let seconds = duration?.seconds ?? 0
                let reservationID = reservation.id!
                let leg: CallLeg
                do {
                    leg = try store.openLeg(reservation: reservationID, NewCallLeg(
                        leg: .b, fromNumber: callerID, toNumber: number, startedAt: time, rate: rate, charged: true))
                } catch {
                    // Give the money back: the access leg's share, or the forward's own reservation.
                    if replacing != nil { shrinkToAccessLeg() } else { _ = try? store.settle(reservation: reservationID, endings: [], at: now()) }
                    throw error
                }
                forward = Forward(legID: leg.id!, reservationID: reservationID, joint: replacing != nil, number: number,
                                  maxDurationSeconds: seconds, answeredAt: nil)
                if case .billing(var open) = state, let aLeg {
                    // The reservation now pays for the A leg up to its elapsed time (ring
                    // included) plus the B leg's talk: that is where A must be cut.
                    open.reservation.amount = reservation.amount
                    open.maxDurationSeconds = aLeg.elapsedSeconds + seconds
                    state = .billing(open)
                    armCut(open)
                }
                startHeartbeat()
                log.event("forward billed", [
                    "account": payer.login, "reservation": "\(reservationID)", "leg": "\(leg.id!)", "to": number,
                    "reserved": reservation.amount.description, "max-duration": "\(seconds)", "rate": rate.prefix,
                    "joint": replacing != nil ? "yes" : "no",
                ])
                return .granted(legID: leg.id!, maxDurationSeconds: seconds)
            }
        } catch {
            return refuseForward(.failed, "store error: \(error)", number: number)
        }
    }

    /// The forward's B leg `leg` was answered at `time`: billed (and heartbeats cover it) from here.
    func forwardAnswered(leg: Int64, at time: Date) {
        guard var forward, forward.legID == leg, forward.answeredAt == nil else { return }
        forward.answeredAt = time
        self.forward = forward
        do {
            try store.recordAnswer(leg: leg, at: time)
        } catch {
            log.problem("forward answer not recorded", ["leg": "\(leg)", "reason": "\(error)"])
        }
    }

    /// The forward's B leg `leg` is over while the call goes on (or the call ended first,
    /// and this comes late: then the call's settlement closed it already).
    func forwardEnded(leg: Int64, _ record: OutboundLegRecord) {
        guard var forward, forward.legID == leg else { return }
        if forward.answeredAt == nil, let answeredAt = record.answeredAt {
            forward.answeredAt = answeredAt
            do {
                try store.recordAnswer(leg: leg, at: answeredAt)
            } catch {
                log.problem("forward answer not recorded", ["leg": "\(leg)", "reason": "\(error)"])
            }
        }
        guard !ending.isSet else {
            // The caller is gone and took this leg down: `callEnded` settles both, at its time.
            self.forward = forward
            return
        }
        self.forward = nil
        let answered = record.answeredAt != nil
        let disposition: CallDisposition
        switch record.outcome {
        case .ended: disposition = answered ? .answered : .cancelled
        case .busy: disposition = .busy
        case .noAnswer: disposition = .noAnswer
        case .failed: disposition = .failed
        case .outOfCredit: disposition = .outOfCredit
        }
        let ending = LegEnding(legID: leg, endedAt: record.endedAt, disposition: disposition,
                               sipCause: record.sipStatus ?? (answered ? 200 : nil))
        settleForward(forward, ending: ending)
        if forward.joint { shrinkToAccessLeg() }
        // Nothing left to keep alive once no leg is billed.
        if accessLeg == nil { stopHeartbeat() }
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
        startHeartbeat()
        armCut(open)
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

    /// Charges the forward's B leg as it ended: alone when the access leg goes on, else
    /// (the forward's own reservation) by settling that reservation.
    private func settleForward(_ forward: Forward, ending: LegEnding) {
        do {
            let settlement = forward.joint
                ? try store.settleLeg(reservation: forward.reservationID, ending, at: now())
                : try store.settle(reservation: forward.reservationID, endings: [ending], at: now())
            let leg = settlement.legs.first { $0.id == forward.legID }
            log.event("forward leg settled", [
                "reservation": "\(forward.reservationID)", "leg": "\(forward.legID)", "to": forward.number,
                "billed-seconds": "\(leg?.billedSeconds ?? 0)", "cost": (leg?.cost ?? settlement.charged).description,
                "balance": settlement.balanceAfter.description, "disposition": ending.disposition.rawValue,
            ])
        } catch {
            // Left open: the call's settlement (joint) or the next start's recovery closes it.
            log.problem("forward leg not settled", ["leg": "\(forward.legID)", "reason": "\(error)"])
        }
    }

    /// The B leg of a forward when the call ends while it is still up (or ringing).
    private func forwardEnding(_ forward: Forward, at endedAt: Date) -> LegEnding {
        guard forward.answeredAt != nil else {
            return LegEnding(legID: forward.legID, endedAt: endedAt, disposition: .cancelled, sipCause: 487)
        }
        return LegEnding(legID: forward.legID, endedAt: endedAt, disposition: outOfCredit ? .outOfCredit : .answered,
                         sipCause: 200)
    }

    private func refuseForward(_ outcome: DialOutcome, _ reason: String, number: String) -> ForwardGrant {
        log.event("forward refused", ["to": number, "outcome": outcome.rawValue, "reason": reason])
        return .refused(outcome, reason: reason)
    }

    /// The forward is over and the access leg goes on: its shared reservation shrinks back
    /// to what the access leg alone may cost, and the cut moves with it.
    private func shrinkToAccessLeg() {
        guard case .billing(var open) = state, let payer else { return }
        do {
            guard let account = try store.account(id: payer.accountID), let planName = account.ratePlan,
                  let plan = try store.ratePlan(named: planName)
            else { throw CallBillingProblem("account \(payer.login) or its rate plan is gone") }
            let outcome = try store.reserveForCall(
                account: payer.accountID, plan: plan, aLeg: nil, bNumber: call.accessNumber,
                limit: MaximumDuration.defaultLimit, call: Store.CallContext(campaign: call.campaign, trigger: "card"),
                replacing: open.reservation.reservationID, at: now())
            switch outcome {
            case let .reserved(reservation, duration):
                open.reservation.amount = reservation.amount
                open.maxDurationSeconds = duration?.seconds ?? 0
                state = .billing(open)
                log.event("access leg reservation resized", [
                    "reservation": "\(open.reservation.reservationID)", "reserved": reservation.amount.description,
                    "max-duration": "\(open.maxDurationSeconds)",
                ])
                armCut(open)
            case let .refused(refusal):
                // What the access leg has used is still covered; nothing more is.
                log.event("access leg refused", ["account": open.login, "reason": refusal.description])
                creditUsedUp()
            }
        } catch {
            // The larger reservation stays (it covers the A leg's old cut time); the cut stands.
            log.problem("access leg reservation not resized", ["reason": "\(error)"])
        }
    }

    private func startHeartbeat() {
        guard heartbeatTimer == nil else { return }
        let interval = heartbeat
        heartbeatTimer = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { return }
                await self?.recordProgress()
            }
        }
    }

    private func stopHeartbeat() {
        heartbeatTimer?.cancel()
        heartbeatTimer = nil
    }

    /// (Re-)arms the cut at the end of the time the access leg's reservation pays for.
    private func armCut(_ open: Open) {
        cutTimer?.cancel()
        let deadline = open.reservation.answeredAt.addingTimeInterval(TimeInterval(open.maxDurationSeconds))
        let wait = max(0, deadline.timeIntervalSince(now()))
        cutTimer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
            guard !Task.isCancelled else { return }
            await self?.creditUsedUp()
        }
    }

    private func stopTimers() {
        stopHeartbeat()
        cutTimer?.cancel()
        cutTimer = nil
    }

    /// Heartbeat of every leg up: the access leg when billed, the forward's once answered.
    private func recordProgress() {
        var legs: [Int64] = []
        var fields: [String: String] = [:]
        let time = now()
        if case .billing(let open) = state {
            legs.append(open.legID)
            fields["leg"] = "\(open.legID)"
            fields["answered-seconds"] = "\(Int(time.timeIntervalSince(open.reservation.answeredAt)))"
        }
        if let forward, let answeredAt = forward.answeredAt {
            legs.append(forward.legID)
            fields["b-leg"] = "\(forward.legID)"
            fields["b-answered-seconds"] = "\(Int(time.timeIntervalSince(answeredAt)))"
        }
        guard !legs.isEmpty else { return }
        do {
            try store.recordProgress(legs: legs, at: time)
            log.event("billing progress", fields)
        } catch {
            log.problem("billing progress not recorded", ["legs": legs.map(String.init).joined(separator: ","),
                                                          "reason": "\(error)"])
        }
    }

    private func creditUsedUp() {
        guard case .billing(let open) = state, !outOfCredit else { return }
        outOfCredit = true
        log.event("credit used up", ["leg": "\(open.legID)", "max-duration": "\(open.maxDurationSeconds)"])
        cut("reserved credit used up after \(open.maxDurationSeconds) s")
    }
}

/// A billing step that could not be done, with what was missing.
private struct CallBillingProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A one-way flag readable from any thread (the call's end, as the SIP loop saw it).
private final class EndingFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
