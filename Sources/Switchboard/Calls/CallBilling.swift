import Billing
import Foundation
import IVR
import Store

/// Bills one call's legs (DESIGN.md "Billing"): the access leg once a script has
/// authenticated an account whose plan charges A legs, and each forward (`dial`) before it
/// is placed. It is the thin driver of `CallBillingMachine`, which decides everything: it
/// looks up the account and plan the machine needs, performs the machine's store writes
/// (each a `BillingStore` intent, one transaction) and feeds the answers back, schedules its
/// cut and heartbeats on the injected `BillingClock`, and hangs up through `cut`.
///
/// A forward's reservation is joint with the access leg's: the access leg's reservation is
/// resized to cover the A leg (including the B leg's ring time) and the B leg's longest
/// affordable talk, so the two legs can never spend the same money. When the B leg ends and
/// the A leg goes on (`#11`, busy, the callee hangs up) the B leg is charged at once and the
/// reservation shrinks back to the A leg alone (`closeForward`); when the A leg hangs up
/// first, one settlement closes both. On a plan that does not charge A legs the forward has
/// its own reservation, settled when the B leg ends.
///
/// `LegBilling` (for its `ScriptedLeg`) tells it: an account was authenticated, a forward is about to be dialled,
/// the call ended; the B leg's `DialSession` (through `ForwardLegBilling`) tells it the
/// forward's answer and end. It runs off the SIP event loop (an actor on the cooperative
/// pool; its Store calls are short, synchronous writes, so each method runs whole, never
/// interleaved with another) and asks the call to hang up through `cut`.
actor CallBilling {
    /// The call, as its CDR describes it.
    struct Call: Sendable {
        var caller: String
        var accessNumber: String
        var campaign: String?
        /// What started the call, for its CDRs: `card` for a call an access number
        /// answered, the callback request's trigger on a callback leg.
        var trigger: CallTrigger = .card
        var startedAt: Date
        var answeredAt: Date
    }

    /// How often a live leg records that it is still up. After `kill -9`, recovery bills
    /// an open leg up to its last heartbeat, so this bounds what a crash can leave unbilled.
    static let defaultHeartbeat: Duration = .seconds(5)

    /// What `forwardWillDial` decided about a forward's B leg.
    enum ForwardGrant: Sendable, Equatable {
        /// Place the call, billed to nobody: a user of this service (its phones cost nothing).
        case unbilled
        /// Money is set aside: place the call, as billed leg `legID`, for at most
        /// `maxDurationSeconds` of talk.
        case granted(legID: Int64, maxDurationSeconds: Int)
        /// Do not place the call: the dial ends with `outcome` (`out-of-credit` when nothing
        /// is affordable, `failed` for a destination the plan lacks or a store error).
        case refused(DialOutcome, reason: String)
    }

    private var machine: CallBillingMachine
    private let store: any SwitchbackStore
    private let log: CallLogger
    private let clock: any BillingClock
    private let cut: @Sendable (String) -> Void
    private var cutTimer: (any BillingTimer)?
    private var heartbeatTimer: (any BillingTimer)?
    /// Set (synchronously, on the SIP loop) the moment the call starts ending, before its
    /// forward is told to hang up: the forward's own end, which may reach this actor before
    /// `callEnded`, then leaves the B leg to the call's one settlement.
    private nonisolated let ending = EndingFlag()
    /// Where the call's legs hand their events (answers, authentications, forwards, ends):
    /// they reach the actor in the order the legs had them, never two `Task`s racing.
    nonisolated let inOrder = OrderedTasks()
    /// Open conference party legs and the reservation each has of its own.
    private var parties: [Int64: Int64] = [:]
    /// The access leg already gave up what a conference's parties need (`partyWillDial`).
    private var accessLegShared = false

    /// - Parameter cut: ends the call (a BYE from the server); called at most once, when
    ///   the reserved time is used up or nothing can be reserved.
    init(call: Call, store: any SwitchbackStore, log: CallLogger, heartbeat: Duration = CallBilling.defaultHeartbeat,
         clock: any BillingClock = SystemBillingClock(), cut: @escaping @Sendable (String) -> Void) {
        self.machine = CallBillingMachine(call: call, heartbeat: heartbeat.timeInterval)
        self.store = store
        self.log = log
        self.clock = clock
        self.cut = cut
    }

    /// The access leg's reservation while it is being billed, for the call's credit check.
    var accessLeg: AccessLegReservation? { machine.accessLeg }

    /// When the call is to be cut, while a billed leg runs (the armed cut's deadline).
    var cutDeadline: Date? { machine.cutDeadline }

    /// A script bound the call to `login`. The first binding decides who pays for the leg.
    func accountAuthenticated(login: String) {
        let payer: CallBillingMachine.Payer?
        do {
            if let account = try store.account(login: login), let accountID = account.id {
                let plan = try account.ratePlan.flatMap { try store.ratePlan(named: $0) }
                payer = CallBillingMachine.Payer(accountID: accountID, login: login, plan: plan)
            } else {
                payer = nil
            }
        } catch {
            log.problem("access leg not billed", ["account": login, "reason": "store error: \(error)"])
            payer = nil
        }
        perform(machine.authenticated(payer, at: clock.now()))
    }

    /// A callback's A leg was answered: it adopts the leg rated and reserved before its
    /// INVITE (`placed`; nil: a leg no money was held for), then `payer`, the account the
    /// trigger authenticated, if any, pays for the forwards. One method, so the two
    /// happen in this order.
    func callbackLegAnswered(placed: CallBillingMachine.PlacedAccessLeg?, payer login: String?) {
        perform(machine.accessLegPlaced(placed, at: clock.now()))
        if let login { accountAuthenticated(login: login) }
    }

    /// The call is about to end (`callEnded` follows): called before its forward is hung
    /// up, so a B leg still up is settled with the access leg, not alone.
    nonisolated func callEnding() {
        ending.set()
    }

    /// The call is over (either side hung up, or it was cut): settle what it cost.
    func callEnded(at endedAt: Date) {
        perform(machine.callEnded(at: endedAt))
    }

    // MARK: - Forward (the B leg of a dial)

    /// A forward to `number` is about to be placed: reserves for it (jointly with the
    /// access leg when that is billed) and opens its B leg as a CDR in progress, in one
    /// store transaction (`BillingStore.openForward`).
    ///
    /// - Parameters:
    ///   - callerID: the CDR's `from` (the caller ID presented to the callee).
    ///   - limitSeconds: the script's own cap on the talk time, if any.
    ///   - ringTimeoutSeconds: how long the B leg may ring. The access leg keeps running
    ///     (and costing) meanwhile, so a joint reservation counts it as already elapsed.
    // Swift 6.3.1's CopyPropagation pass crashes on this function in release builds
    // ("Found ownership error"): kept out of the optimizer until the compiler is fixed.
    @_optimize(none)
    func forwardWillDial(number: String, callerID: String, limitSeconds: Int?, ringTimeoutSeconds: Int) -> ForwardGrant {
        // With nobody bound only a user of this service may be reached (`.user`); nil leaves
        // any other number unpriced, which the admission refuses.
        let forwardPricing = machine.payerAccountID.map { price(number: number, account: $0) } ?? unboundPricing(number: number)
        let actions = machine.forwardWillDial(number: number, callerID: callerID, limitSeconds: limitSeconds,
                                              ringTimeoutSeconds: ringTimeoutSeconds, pricing: forwardPricing,
                                              ending: ending.isSet, at: clock.now())
        return perform(actions) ?? .refused(.failed, reason: "billing gave no answer")
    }

    /// The forward's B leg `leg` was answered at `time`: billed (and heartbeats cover it) from here.
    func forwardAnswered(leg: Int64, at time: Date) {
        perform(machine.forwardAnswered(leg: leg, at: time))
    }

    /// The forward's B leg `leg` is over while the call goes on (or the call ended first,
    /// and this comes late: then the call's settlement closed it already).
    func forwardEnded(leg: Int64, _ record: OutboundLegRecord) {
        perform(machine.forwardEnded(leg: leg, record, ending: ending.isSet))
    }

    // MARK: - Conference parties

    /// One party of a conference is about to be called: rated at `number` (the number
    /// the party's leg reaches) under the payer's plan and given a reservation of its own
    /// (`openForward` without sharing the access leg's), so every party is checked and
    /// held for on its own (`TrunkLegAdmission`, kind `conferenceParty`). `share`: the
    /// parties still to be reserved for, this one included; this one may hold at most its
    /// share of the free balance, so every party called can be paid for.
    func partyWillDial(number: String, callerID: String, limitSeconds: Int?, share: Int) -> ForwardGrant {
        let payer = machine.payerAccountID
        let pricing = payer.map { price(number: number, account: $0) } ?? unboundPricing(number: number)
        let rating = TrunkLegAdmission.Rating(pricing, unpriced: "no account is bound to the call")
        var ratedPlan: RatePlan?
        if case let .rated(plan)? = pricing { ratedPlan = plan }
        var admission = TrunkLegAdmission(kind: .conferenceParty, route: .trunk,
                                          payer: payer.map { .account(login: "#\($0)") } ?? .unboundCall, rating: rating)
        var grant: LegGrant?
        if admission.verdict == .reserve, let payer, let plan = ratedPlan {
            var limit = min(limitSeconds ?? MaximumDuration.defaultLimit, MaximumDuration.defaultLimit)
            do {
                if !accessLegShared {
                    // The first party reserved: the access leg gives up all but its share.
                    accessLegShared = true
                    perform(machine.conferenceWillReserve(parties: share, freeBalance: try store.freeBalance(account: payer),
                                                          at: clock.now()))
                }
                if share > 1 {
                    let free = try store.freeBalance(account: payer)
                    let part = Money(minorUnits: max(0, free.minorUnits) / Int64(share), currency: free.currency)
                    limit = min(limit, try MaximumDuration.compute(freeBalance: part, aLeg: nil, bLeg: try plan.rate(for: number),
                                                                   limit: limit).seconds)
                }
                switch try store.openForward(ForwardRequest(
                    accountID: payer, plan: plan, number: number, callerID: callerID, limit: limit,
                    call: CallContext(campaign: machine.call.campaign, trigger: machine.call.trigger.rawValue),
                    accessLeg: nil), at: clock.now()) {
                case let .opened(opened, _):
                    grant = opened
                    admission.reservation = .granted(seconds: opened.grantedSeconds)
                case let .refused(refusal):
                    admission.reservation = .refused(reason: refusal.description)
                }
            } catch {
                admission.reservation = .refused(reason: "store error: \(error)")
            }
        }
        switch admission.verdict {
        case .placeUnrated:
            return .unbilled
        case let .refuse(outcome, reason):
            log.event("conference party refused", ["to": number, "outcome": outcome.rawValue, "reason": reason])
            return .refused(outcome, reason: reason)
        case .reserve:
            return .refused(.failed, reason: "billing gave no answer")
        case let .place(seconds):
            guard let grant else { return .refused(.failed, reason: "billing gave no answer") }
            log.event("conference party billed", ["to": number, "reservation": "\(grant.reservationID)",
                                                  "leg": "\(grant.legID)", "reserved": grant.reservation.amount.description,
                                                  "max-duration": "\(seconds)", "rate": grant.leg.ratePrefix ?? ""])
            parties[grant.legID] = grant.reservationID
            return .granted(legID: grant.legID, maxDurationSeconds: seconds)
        }
    }

    /// Party leg `leg` answered at `time`.
    func partyAnswered(leg: Int64, at time: Date) {
        do {
            try store.recordAnswer(leg: leg, at: time)
        } catch {
            log.problem("conference party answer not recorded", ["leg": "\(leg)", "reason": "\(error)"])
        }
    }

    /// Party leg `leg` is over: its own reservation is settled with its CDR.
    func partyEnded(leg: Int64, _ record: OutboundLegRecord) {
        guard let reservation = parties.removeValue(forKey: leg) else { return }
        if let answeredAt = record.answeredAt { try? store.recordAnswer(leg: leg, at: answeredAt) }
        let ending = LegEnding(legID: leg, endedAt: record.endedAt, disposition: UnbilledLegRecorder.disposition(of: record),
                               sipCause: record.sipStatus ?? (record.answeredAt != nil ? 200 : nil))
        do {
            let closing = try store.closeForward(reservation: reservation, ending, accessLegPlan: nil, at: clock.now())
            let leg = closing.settlement.legs.first
            log.event("conference party settled", [
                "leg": "\(leg?.id ?? 0)", "to": leg?.toNumber ?? "", "billed-seconds": "\(leg?.billedSeconds ?? 0)",
                "cost": closing.settlement.charged.description, "balance": closing.settlement.balanceAfter.description,
            ])
        } catch {
            log.problem("conference party not settled", ["leg": "\(leg)", "reason": "\(error)"])
        }
    }

    // MARK: - Driving the machine

    private func cutDue() {
        perform(machine.cutDue(at: clock.now()))
    }

    private func heartbeatDue() {
        perform(machine.heartbeatDue(at: clock.now()))
    }

    /// How a call no account is bound to may reach `number`: `.user` for a login of this
    /// service (its phones, unbilled), nil (not priceable) for anything else.
    private func unboundPricing(number: String) -> CallBillingMachine.ForwardPricing? {
        do {
            return try store.account(login: number) != nil ? .user : nil
        } catch {
            return .unpriceable(reason: "store error: \(error)")
        }
    }

    /// How the payer's plan prices `number` (reads only).
    private func price(number: String, account id: Int64) -> CallBillingMachine.ForwardPricing {
        do {
            guard let account = try store.account(id: id) else { return .unpriceable(reason: "account #\(id) no longer exists") }
            guard let planName = account.ratePlan, let plan = try store.ratePlan(named: planName) else {
                return .unpriceable(reason: "account \(account.login) has no rate plan")
            }
            do {
                _ = try plan.rate(for: number)
                return .rated(plan)
            } catch {
                // A user of this service (its login dialled: registered phones, its forward)
                // is not a destination of the plan: that call is not rated.
                if try store.account(login: number) != nil { return .user }
                return .unpriceable(reason: "\(error)")
            }
        } catch {
            return .unpriceable(reason: "store error: \(error)")
        }
    }

    /// Performs the machine's actions in order; a store write's answer goes back into the
    /// machine at once and its actions come next. Returns the forward decision, if any.
    @discardableResult
    private func perform(_ actions: [CallBillingMachine.Action]) -> ForwardGrant? {
        var decision: ForwardGrant?
        var queue = actions
        while !queue.isEmpty {
            let action = queue.removeFirst()
            switch action {
            case let .write(write):
                queue.insert(contentsOf: machine.written(execute(write), at: clock.now()), at: 0)
            case let .armCut(deadline):
                cutTimer?.cancel()
                cutTimer = clock.schedule(at: deadline) { [weak self] in await self?.cutDue() }
            case .cancelCut:
                cutTimer?.cancel()
                cutTimer = nil
            case let .armHeartbeat(deadline):
                heartbeatTimer?.cancel()
                heartbeatTimer = clock.schedule(at: deadline) { [weak self] in await self?.heartbeatDue() }
            case .cancelHeartbeat:
                heartbeatTimer?.cancel()
                heartbeatTimer = nil
            case let .hangUpOutOfCredit(reason):
                cut(reason)
            case let .forwardDecided(grant):
                decision = grant
            case let .log(event, fields):
                log.event(event, fields)
            case let .problem(event, fields):
                log.problem(event, fields)
            }
        }
        return decision
    }

    /// One store intent; what it answered, or why it failed (then it wrote nothing).
    private func execute(_ write: CallBillingMachine.Write) -> CallBillingMachine.WriteResult {
        let now = clock.now()
        do {
            switch write {
            case let .openAccessLeg(request):
                return .accessLeg(try store.openAccessLeg(request, at: now))
            case let .handOverAccessLeg(reservation, ending, request, parts):
                // Like any of the user's callback A legs: at most their share of the free balance.
                var request = request
                if parts > 1 {
                    request.limit = MaximumDuration.shareLimit(
                        freeBalance: try store.freeBalance(account: request.accountID), parts: parts,
                        rate: try request.plan.rate(for: request.accessNumber))
                }
                return .handedOver(try store.handOverAccessLeg(reservation: reservation, ending, to: request, at: now))
            case let .openForward(request):
                return .forward(try store.openForward(request, at: now))
            case let .recordAnswer(leg, time):
                try store.recordAnswer(leg: leg, at: time)
                return .recorded
            case let .recordProgress(legs, time):
                try store.recordProgress(legs: legs, at: time)
                return .recorded
            case let .closeForward(reservation, legEnding, plan):
                return .forwardClosed(try store.closeForward(reservation: reservation, legEnding, accessLegPlan: plan,
                                                             at: now))
            case let .resizeAccessLeg(reservation, leg, plan, limit):
                return .accessLegResized(try store.resizeAccessLeg(reservation: reservation, leg: leg, plan: plan,
                                                                   limit: limit, at: now))
            case let .settle(reservation, endings):
                return .settled(try store.settle(reservation: reservation, endings: endings, at: now))
            }
        } catch {
            return .failed(write, reason: "\(error)")
        }
    }
}

/// A one-way flag readable from any thread (the call's end, as the SIP loop saw it).
private final class EndingFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
