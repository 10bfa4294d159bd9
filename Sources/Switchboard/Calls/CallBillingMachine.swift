import Billing
import Foundation
import IVR
import Store

/// The decisions of one call's billing, as a pure state machine: what happened goes in
/// (an account authenticated, a forward about to be dialled or over, a timer due, the call
/// ended, what a store write answered), actions come out (write this to the store, arm the
/// cut at T, arm the next heartbeat at T, hang up out of credit, log). It reads no clock and
/// touches no store: `CallBilling` performs its actions and feeds the store's answers back
/// through `written`, so each decision is tested without a database or a timer.
///
/// The money rules live in the Store intents it asks for (`openAccessLeg`, `openForward`,
/// `closeForward`, `settle`): each one transaction, so nothing here can leave money
/// half-written. What it keeps is the call's view: which reservation and legs are billed,
/// until when (the cut), and which legs a heartbeat covers.
struct CallBillingMachine: Sendable {
    /// A write to ask the store for; its answer comes back through `written`.
    enum Write: Sendable {
        case openAccessLeg(AccessLegRequest)
        /// The house-paid access leg is settled and goes on billed to the authenticated payer.
        /// `shareParts`: the user's A legs hold `1/shareParts` of their free balance each.
        case handOverAccessLeg(reservation: Int64, LegEnding, to: AccessLegRequest, shareParts: Int)
        case openForward(ForwardRequest)
        case recordAnswer(leg: Int64, at: Date)
        case recordProgress(legs: [Int64], at: Date)
        case closeForward(reservation: Int64, LegEnding, accessLegPlan: RatePlan?)
        case resizeAccessLeg(reservation: Int64, leg: Int64, plan: RatePlan, limit: Int)
        case settle(reservation: Int64, endings: [LegEnding])
    }

    /// What the store answered to a `Write`.
    enum WriteResult: Sendable {
        case accessLeg(AccessLegOutcome)
        case handedOver(AccessLegHandover)
        case forward(ForwardOutcome)
        case forwardClosed(ForwardClosing)
        case accessLegResized(AccessLegResize)
        case settled(Settlement)
        /// An answer or heartbeat was recorded.
        case recorded
        /// The write threw; nothing of it was written (each is one transaction).
        case failed(Write, reason: String)
    }

    enum Action: Sendable {
        case write(Write)
        /// (Re-)arms the call's cut at the end of the time the reservation pays for.
        case armCut(at: Date)
        case cancelCut
        case armHeartbeat(at: Date)
        case cancelHeartbeat
        /// Ends the call: the reserved credit is used up, or nothing could be reserved.
        case hangUpOutOfCredit(reason: String)
        /// The answer to `forwardWillDial`.
        case forwardDecided(CallBilling.ForwardGrant)
        case log(String, [String: String])
        case problem(String, [String: String])
    }

    /// Who authenticated, as the store knows them.
    struct Payer: Sendable {
        var accountID: Int64
        var login: String
        /// The account's plan; nil when it has none.
        var plan: RatePlan?
    }

    /// A callback's A leg, rated, reserved and opened by `CallbackALegGrants` before its
    /// INVITE left (issue 11), now answered: the call adopts it instead of opening one.
    struct PlacedAccessLeg: Sendable, Equatable {
        /// Who pays for it: the request's account, or the house account of a PIN callback.
        var accountID: Int64
        var login: String
        var plan: RatePlan
        var reservationID: Int64
        var legID: Int64
        /// Talk seconds from the answer the reservation pays for: where the call is cut.
        var grantedSeconds: Int
        var amount: Money
        /// The number the leg reached (what it is rated as) and the caller ID it showed:
        /// a leg handed over to another payer goes on as the same call.
        var number: String
        var callerID: String
        /// How many concurrent callbacks of one account share its free balance
        /// (`callback.limits.concurrent-per-account`): the user's part once it is handed over.
        var userShareParts = 1

        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.reservationID == rhs.reservationID && lhs.legID == rhs.legID && lhs.accountID == rhs.accountID
                && lhs.grantedSeconds == rhs.grantedSeconds && lhs.amount == rhs.amount
        }
    }

    /// How a forward's number is priced under the payer's plan (looked up by the driver).
    enum ForwardPricing: Sendable {
        case rated(RatePlan)
        /// Not a destination of the plan, but a user of this service: not rated.
        case user
        /// The forward cannot be billed (no account, no plan, no rate, a store error).
        case unpriceable(reason: String)
    }

    private enum Access {
        /// No account is billed (yet).
        case idle
        /// The plan does not charge this leg, or it could not be opened.
        case unbilled
        case billing(AccessLeg)
        case ended
    }

    private struct AccessLeg {
        /// Who pays for it (a PIN callback's house account may differ from the forwards' payer).
        var accountID: Int64
        var reservationID: Int64
        var legID: Int64
        /// Its talk time (and the granted seconds) count from here: the call's answer, or the
        /// moment the leg was handed over to its payer.
        var answeredAt: Date
        var amount: Money
        /// Talk seconds from the answer that the reservation pays for: the cut.
        var grantedSeconds: Int
        var plan: RatePlan
    }

    /// The forward's B leg while it is dialled or up.
    private struct Forward {
        var legID: Int64
        var reservationID: Int64
        /// The reservation is the access leg's, resized (else the forward's own).
        var joint: Bool
        var number: String
        var grantedSeconds: Int
        var answeredAt: Date?
    }

    let call: CallBilling.Call
    /// Seconds between heartbeats.
    let heartbeat: TimeInterval
    private var access = Access.idle
    private var payer: Payer?
    private var forward: Forward?
    /// The forward being opened (between `forwardWillDial` and the store's answer).
    private var dialling: String?
    private var outOfCredit = false
    private var heartbeatArmed = false
    private var cutAt: Date?
    /// The access leg was decided when it was placed (a callback's A leg): a later
    /// authentication names who pays for the forwards, and for the rest of a leg the house
    /// account paid for until then.
    private var accessDecidedAtPlacement = false
    /// The access leg as it was placed (its number, caller ID and share, for a handover).
    private var placedLeg: PlacedAccessLeg?

    init(call: CallBilling.Call, heartbeat: TimeInterval) {
        self.call = call
        self.heartbeat = heartbeat
    }

    /// The access leg's reservation while it is billed, for the call's credit check.
    var accessLeg: AccessLegReservation? {
        guard case .billing(let open) = access else { return nil }
        return AccessLegReservation(reservationID: open.reservationID, amount: open.amount,
                                    answeredAt: open.answeredAt, accessNumber: call.accessNumber)
    }

    /// Whether a payer is bound (the driver then prices a forward for it).
    var payerAccountID: Int64? { payer?.accountID }

    /// When the call is to be cut, while a billed leg runs.
    var cutDeadline: Date? { cutAt }

    // MARK: - Events

    /// A script bound the call to an account (nil: the store does not know it). The first
    /// binding decides who pays.
    mutating func authenticated(_ payer: Payer?, at now: Date) -> [Action] {
        if accessDecidedAtPlacement {
            // The PIN (or the trigger) names who pays for the forwards, and for the rest of an
            // A leg the house account paid for until now.
            guard self.payer == nil, let payer else { return [] }
            self.payer = payer
            return handOverHouseLeg(to: payer, at: now)
        }
        guard case .idle = access else { return [] }
        access = .unbilled
        guard let payer else { return [] }
        self.payer = payer
        guard let plan = payer.plan, plan.chargesALeg else { return [] }
        // The access leg rated as the destination it is; its talk time counts from the
        // answer, so the seconds already spent in the script are inside the maximum.
        return [.write(.openAccessLeg(AccessLegRequest(
            accountID: payer.accountID, plan: plan, caller: call.caller, accessNumber: call.accessNumber,
            startedAt: call.startedAt, answeredAt: call.answeredAt,
            call: CallContext(campaign: call.campaign, trigger: call.trigger.rawValue))))]
    }

    /// A callback's A leg was answered (`call.answeredAt`): adopt the leg billed before its
    /// INVITE (`placed`), or, for a leg no money was held for (a registered phone, a plan
    /// that does not charge A legs), bill no access leg at all.
    mutating func accessLegPlaced(_ placed: PlacedAccessLeg?, at now: Date) -> [Action] {
        guard case .idle = access, !accessDecidedAtPlacement else { return [] }
        accessDecidedAtPlacement = true
        guard let placed else {
            access = .unbilled
            return []
        }
        let open = AccessLeg(accountID: placed.accountID, reservationID: placed.reservationID, legID: placed.legID,
                             answeredAt: call.answeredAt, amount: placed.amount, grantedSeconds: placed.grantedSeconds,
                             plan: placed.plan)
        access = .billing(open)
        placedLeg = placed
        return [.write(.recordAnswer(leg: placed.legID, at: call.answeredAt)),
                .log("access leg billed", [
                    "account": placed.login, "reservation": "\(placed.reservationID)", "leg": "\(placed.legID)",
                    "reserved": placed.amount.description, "max-duration": "\(placed.grantedSeconds)", "placed": "before-invite",
                ])] + armHeartbeat(from: now) + armCut(open)
    }

    /// A forward to `number` is about to be placed. The answer is a `.forwardDecided`
    /// action, at once or after the store's answer to the `openForward` write.
    /// - Parameter ending: the call has started ending (see `CallBilling.callEnding`).
    mutating func forwardWillDial(number: String, callerID: String, limitSeconds: Int?, ringTimeoutSeconds: Int,
                                  pricing: ForwardPricing?, ending: Bool, at now: Date) -> [Action] {
        if case .ended = access { return [.forwardDecided(.refused(.failed, reason: "the call is over"))] }
        guard !ending else { return [.forwardDecided(.refused(.failed, reason: "the call is ending"))] }
        guard forward == nil, dialling == nil else {
            return [.forwardDecided(.refused(.failed, reason: "a forward of this call is already up"))]
        }
        // The admission table decides (TrunkLegAdmission): who pays, how the number is rated.
        let rating = TrunkLegAdmission.Rating(pricing, unpriced: "account \(payer?.login ?? "-") could not be priced")
        let admission = TrunkLegAdmission(kind: .bridge, route: .trunk,
                                          payer: payer.map { .account(login: $0.login) } ?? .unboundCall, rating: rating)
        switch admission.verdict {
        case .placeUnrated:
            return [.log("forward not billed", ["to": number, "reason": "a user of this service"]),
                    .forwardDecided(.unbilled)]
        case let .refuse(outcome, reason):
            return refuseForward(outcome, reason, number: number)
        case .place:
            return refuseForward(.failed, "the forward was not reserved", number: number)
        case .reserve:
            break
        }
        switch pricing {
        case nil, .user, .unpriceable:
            return refuseForward(.failed, "the forward could not be priced", number: number)
        case let .rated(plan):
            guard let payer else { return refuseForward(.failed, "nobody pays for the forward", number: number) }
            var share: AccessLegShare?
            if case .billing(let open) = access, open.accountID == payer.accountID {
                // The access leg keeps running (and costing) while the B leg rings. (A leg
                // another account pays for, a PIN callback's house leg, is not shared.)
                let elapsed = Int(max(0, now.timeIntervalSince(open.answeredAt)).rounded(.up))
                share = AccessLegShare(reservationID: open.reservationID, legID: open.legID,
                                       elapsedSeconds: elapsed + max(0, ringTimeoutSeconds))
            }
            dialling = number
            let limit = min(limitSeconds ?? MaximumDuration.defaultLimit, MaximumDuration.defaultLimit)
            return [.write(.openForward(ForwardRequest(
                accountID: payer.accountID, plan: plan, number: number, callerID: callerID, limit: limit,
                call: CallContext(campaign: call.campaign, trigger: call.trigger.rawValue), accessLeg: share)))]
        }
    }

    /// The forward's B leg `leg` was answered at `time`.
    mutating func forwardAnswered(leg: Int64, at time: Date) -> [Action] {
        guard var forward, forward.legID == leg, forward.answeredAt == nil else { return [] }
        forward.answeredAt = time
        self.forward = forward
        return [.write(.recordAnswer(leg: leg, at: time))]
    }

    /// The forward's B leg `leg` is over while the call goes on (or the call ended first
    /// and this comes late: then the call's settlement closes it).
    mutating func forwardEnded(leg: Int64, _ record: OutboundLegRecord, ending: Bool) -> [Action] {
        guard var forward, forward.legID == leg else { return [] }
        var actions: [Action] = []
        if forward.answeredAt == nil, let answeredAt = record.answeredAt {
            forward.answeredAt = answeredAt
            actions.append(.write(.recordAnswer(leg: leg, at: answeredAt)))
        }
        guard !ending else {
            // The caller is gone and took this leg down: `callEnded` settles both, at its time.
            self.forward = forward
            return actions
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
        let legEnding = LegEnding(legID: leg, endedAt: record.endedAt, disposition: disposition,
                                  sipCause: record.sipStatus ?? (answered ? 200 : nil))
        var plan: RatePlan?
        if forward.joint, case .billing(let open) = access { plan = open.plan }
        actions.append(.write(.closeForward(reservation: forward.reservationID, legEnding, accessLegPlan: plan)))
        if accessLeg == nil { actions += stopHeartbeat() }
        return actions
    }

    /// The armed cut is due: the reserved time is used up.
    mutating func cutDue(at now: Date) -> [Action] {
        // A cut moved later since this one was armed is not due yet.
        guard let cutAt, now >= cutAt.addingTimeInterval(-0.001) else { return [] }
        return creditUsedUp()
    }

    /// The armed heartbeat is due: every billed leg records that it is still up.
    mutating func heartbeatDue(at now: Date) -> [Action] {
        heartbeatArmed = false
        var legs: [Int64] = []
        var fields: [String: String] = [:]
        if case .billing(let open) = access {
            legs.append(open.legID)
            fields["leg"] = "\(open.legID)"
            fields["answered-seconds"] = "\(Int(now.timeIntervalSince(open.answeredAt)))"
        }
        if let forward, let answeredAt = forward.answeredAt {
            legs.append(forward.legID)
            fields["b-leg"] = "\(forward.legID)"
            fields["b-answered-seconds"] = "\(Int(now.timeIntervalSince(answeredAt)))"
        }
        guard !legs.isEmpty || forward != nil else { return [] }
        var actions: [Action] = []
        if !legs.isEmpty {
            actions.append(.write(.recordProgress(legs: legs, at: now)))
            actions.append(.log("billing progress", fields))
        }
        return actions + armHeartbeat(from: now)
    }

    /// The call is over (either side hung up, or it was cut): settle what it cost. A
    /// forward still up ends with it, at the same time, in the same settlement when the
    /// two legs share a reservation.
    mutating func callEnded(at endedAt: Date) -> [Action] {
        let previous = access
        access = .ended
        var actions: [Action] = [.cancelCut]
        cutAt = nil
        actions += stopHeartbeat()
        let forward = self.forward
        self.forward = nil
        if let forward, !forward.joint {
            actions.append(.write(.closeForward(reservation: forward.reservationID,
                                                forwardEnding(forward, at: endedAt), accessLegPlan: nil)))
        }
        guard case .billing(let open) = previous else { return actions }
        var endings = [LegEnding(legID: open.legID, endedAt: endedAt,
                                 disposition: outOfCredit ? .outOfCredit : .answered, sipCause: 200)]
        if let forward, forward.joint { endings.append(forwardEnding(forward, at: endedAt)) }
        actions.append(.write(.settle(reservation: open.reservationID, endings: endings)))
        return actions
    }

    /// The store's answer to a `.write`.
    mutating func written(_ result: WriteResult, at now: Date) -> [Action] {
        switch result {
        case .recorded:
            return []
        case let .accessLeg(.opened(grant)):
            guard case .unbilled = access, let payer, let plan = payer.plan else { return [] }
            let open = AccessLeg(accountID: payer.accountID, reservationID: grant.reservationID, legID: grant.legID,
                                 answeredAt: grant.leg.answeredAt ?? call.answeredAt, amount: grant.reservation.amount,
                                 grantedSeconds: grant.grantedSeconds, plan: plan)
            access = .billing(open)
            return [.log("access leg billed", [
                "account": payer.login, "reservation": "\(open.reservationID)", "leg": "\(open.legID)",
                "reserved": open.amount.description, "max-duration": "\(open.grantedSeconds)",
                "rate": grant.leg.ratePrefix ?? "",
            ])] + armHeartbeat(from: now) + armCut(open)
        case let .handedOver(handover):
            return accessLegHandedOver(handover, at: now)
        case let .accessLeg(.refused(refusal, _)):
            access = .ended
            return [.log("access leg refused", ["account": payer?.login ?? "", "reason": refusal.description]),
                    .hangUpOutOfCredit(reason: "no credit for the access leg: \(refusal)")]
        case let .forward(.opened(grant, accessLegSeconds)):
            let number = dialling ?? grant.leg.toNumber
            dialling = nil
            forward = Forward(legID: grant.legID, reservationID: grant.reservationID, joint: accessLegSeconds != nil,
                              number: number, grantedSeconds: grant.grantedSeconds, answeredAt: nil)
            var actions: [Action] = [.log("forward billed", [
                "account": payer?.login ?? "", "reservation": "\(grant.reservationID)", "leg": "\(grant.legID)",
                "to": number, "reserved": grant.reservation.amount.description,
                "max-duration": "\(grant.grantedSeconds)", "rate": grant.leg.ratePrefix ?? "",
                "joint": accessLegSeconds != nil ? "yes" : "no",
            ])]
            if let accessLegSeconds, case .billing(var open) = access {
                open.amount = grant.reservation.amount
                open.grantedSeconds = accessLegSeconds
                access = .billing(open)
                actions += armCut(open)
            }
            actions += armHeartbeat(from: now)
            actions.append(.forwardDecided(.granted(legID: grant.legID, maxDurationSeconds: grant.grantedSeconds)))
            return actions
        case let .forward(.refused(refusal)):
            let number = dialling ?? ""
            dialling = nil
            let admission = TrunkLegAdmission(kind: .bridge, route: .trunk, payer: .account(login: payer?.login ?? ""),
                                              rating: .rated, reservation: .refused(reason: refusal.description))
            guard case let .refuse(outcome, reason) = admission.verdict else {
                return refuseForward(.outOfCredit, refusal.description, number: number)
            }
            return refuseForward(outcome, reason, number: number)
        case let .forwardClosed(closing):
            let leg = closing.settlement.legs.first
            var actions: [Action] = [.log("forward leg settled", [
                "reservation": "\(closing.settlement.reservation.id ?? 0)", "leg": "\(leg?.id ?? 0)",
                "to": leg?.toNumber ?? "", "billed-seconds": "\(leg?.billedSeconds ?? 0)",
                "cost": (leg?.cost ?? closing.settlement.charged).description,
                "balance": closing.settlement.balanceAfter.description,
                "disposition": leg?.disposition.rawValue ?? "",
            ])]
            if let resize = closing.accessLeg { actions += accessLegResized(resize) }
            return actions
        case let .accessLegResized(resize):
            return accessLegResized(resize)
        case let .settled(settlement):
            let accessLeg = settlement.legs.first { $0.leg == .a }
            return [.log("access leg settled", [
                "account": payer?.login ?? "", "reservation": "\(settlement.reservation.id ?? 0)",
                "leg": "\(accessLeg?.id ?? 0)", "billed-seconds": "\(accessLeg?.billedSeconds ?? 0)",
                "leg-cost": (accessLeg?.cost ?? settlement.charged).description,
                "cost": settlement.charged.description, "balance": settlement.balanceAfter.description,
                "disposition": accessLeg?.disposition.rawValue ?? "", "legs": "\(settlement.legs.count)",
            ])]
        case let .failed(write, reason):
            return failed(write, reason: reason)
        }
    }

    // MARK: - Steps

    private mutating func failed(_ write: Write, reason: String) -> [Action] {
        switch write {
        case let .openAccessLeg(request):
            return [.problem("access leg not billed", ["account": payer?.login ?? "#\(request.accountID)",
                                                       "reason": reason])]
        case let .handOverAccessLeg(reservation, _, request, _):
            // Nothing was written: the house account goes on paying for the leg it holds.
            return [.problem("access leg not handed over", ["reservation": "\(reservation)",
                                                             "account": payer?.login ?? "#\(request.accountID)",
                                                             "reason": reason])]
        case let .openForward(request):
            dialling = nil
            return refuseForward(.failed, "store error: \(reason)", number: request.number)
        case let .recordAnswer(leg, _):
            return [.problem("forward answer not recorded", ["leg": "\(leg)", "reason": reason])]
        case let .recordProgress(legs, _):
            return [.problem("billing progress not recorded", [
                "legs": legs.map(String.init).joined(separator: ","), "reason": reason])]
        case let .closeForward(_, ending, _):
            // Left open: the call's settlement (joint) or the next start's recovery closes it.
            return [.problem("forward leg not settled", ["leg": "\(ending.legID)", "reason": reason])]
        case let .resizeAccessLeg(reservation, _, _, _):
            // Unchanged: the access leg keeps all it holds, so the parties may be refused.
            return [.problem("access leg not resized", ["reservation": "\(reservation)", "reason": reason])]
        case let .settle(reservation, _):
            // The reservation stays open: the next start's recovery settles it from the heartbeat.
            return [.problem("access leg not settled", ["reservation": "\(reservation)", "reason": reason])]
        }
    }

    /// The PIN named `payer`, and the A leg placed before it is another account's (the
    /// house's, `callback.free-access-user`): the house pays up to now, `payer` from now on,
    /// as their plan rates the leg. Left with the house: a plan that charges no A leg (the
    /// operator carries it, on record), or a forward already under way (the PIN comes first).
    private mutating func handOverHouseLeg(to payer: Payer, at now: Date) -> [Action] {
        guard case .billing(let open) = access, open.accountID != payer.accountID, forward == nil, dialling == nil,
              let placedLeg else { return [] }
        guard let plan = payer.plan, plan.chargesALeg else {
            return [.log("access leg stays with its payer", [
                "leg": "\(open.legID)", "account": payer.login, "reason": "the account's plan charges no A leg"])]
        }
        let ending = LegEnding(legID: open.legID, endedAt: now, disposition: .answered, sipCause: 200)
        return [.write(.handOverAccessLeg(reservation: open.reservationID, ending, to: AccessLegRequest(
            accountID: payer.accountID, plan: plan, caller: placedLeg.callerID, accessNumber: placedLeg.number,
            startedAt: now, answeredAt: now,
            call: CallContext(campaign: call.campaign, trigger: call.trigger.rawValue)),
            shareParts: placedLeg.userShareParts))]
    }

    /// The store's answer to a handover: the leg goes on under the payer's reservation (its
    /// cut where their money ends), or, when they cannot pay for it, the call ends.
    private mutating func accessLegHandedOver(_ handover: AccessLegHandover, at now: Date) -> [Action] {
        let house = handover.settled.legs.first { $0.leg == .a }
        let settled: Action = .log("access leg handed over", [
            "from-reservation": "\(handover.settled.reservation.id ?? 0)", "from-leg": "\(house?.id ?? 0)",
            "billed-seconds": "\(house?.billedSeconds ?? 0)", "cost": handover.settled.charged.description,
            "account": payer?.login ?? "",
        ])
        switch handover.opened {
        case let .opened(grant):
            guard let payer, let plan = payer.plan else { return [settled] }
            let open = AccessLeg(accountID: payer.accountID, reservationID: grant.reservationID, legID: grant.legID,
                                 answeredAt: grant.leg.answeredAt ?? now, amount: grant.reservation.amount,
                                 grantedSeconds: grant.grantedSeconds, plan: plan)
            access = .billing(open)
            return [settled, .log("access leg billed", [
                "account": payer.login, "reservation": "\(open.reservationID)", "leg": "\(open.legID)",
                "reserved": open.amount.description, "max-duration": "\(open.grantedSeconds)",
                "rate": grant.leg.ratePrefix ?? "", "placed": "handed-over",
            ])] + armCut(open)
        case let .refused(refusal, _):
            access = .ended
            cutAt = nil
            return [settled, .cancelCut] + stopHeartbeat()
                + [.log("access leg refused", ["account": payer?.login ?? "", "reason": refusal.description]),
                   .hangUpOutOfCredit(reason: "no credit for the access leg: \(refusal)")]
        }
    }

    private func refuseForward(_ outcome: DialOutcome, _ reason: String, number: String) -> [Action] {
        [.log("forward refused", ["to": number, "outcome": outcome.rawValue, "reason": reason]),
         .forwardDecided(.refused(outcome, reason: reason))]
    }

    /// A conference is about to reserve for `parties` parties that the access leg's payer
    /// pays for, out of `freeBalance`. A billed access leg alone holds all the account can
    /// commit (up to the longest call), which would leave every party refused: it keeps
    /// only its share of that (one part in `parties + 1`), resized in the store, and the
    /// parties split the rest (`CallBilling.partyWillDial`).
    mutating func conferenceWillReserve(parties: Int, freeBalance: Money, at now: Date) -> [Action] {
        guard parties > 0, case .billing(let open) = access, open.accountID == payer?.accountID,
              freeBalance.currency == open.amount.currency, let rate = try? open.plan.rate(for: call.accessNumber)
        else { return [] }
        let available = max(0, freeBalance.minorUnits) + open.amount.minorUnits
        let share = Money(minorUnits: available / Int64(parties + 1), currency: open.amount.currency)
        let elapsed = Int(max(0, now.timeIntervalSince(open.answeredAt)).rounded(.up))
        guard let talk = try? MaximumDuration.compute(freeBalance: share, aLeg: nil, bLeg: rate).seconds,
              elapsed + talk < open.grantedSeconds else { return [] }
        return [.write(.resizeAccessLeg(reservation: open.reservationID, leg: open.legID, plan: open.plan,
                                        limit: elapsed + talk))]
    }

    /// The store resized the access leg's reservation: the cut follows what it now pays for.
    private mutating func accessLegResized(_ resize: AccessLegResize) -> [Action] {
        switch resize {
        case let .resized(reservation, grantedSeconds):
            guard case .billing(var open) = access else { return [] }
            open.amount = reservation.amount
            open.grantedSeconds = grantedSeconds
            access = .billing(open)
            return [.log("access leg reservation resized", [
                "reservation": "\(open.reservationID)", "reserved": reservation.amount.description,
                "max-duration": "\(grantedSeconds)",
            ])] + armCut(open)
        case let .refused(refusal):
            // What the access leg has used is still covered; nothing more is.
            return [.log("access leg refused", ["account": payer?.login ?? "", "reason": refusal.description])]
                + creditUsedUp()
        }
    }

    private mutating func armCut(_ open: AccessLeg) -> [Action] {
        let deadline = open.answeredAt.addingTimeInterval(TimeInterval(open.grantedSeconds))
        cutAt = deadline
        return [.armCut(at: deadline)]
    }

    /// Arms the next heartbeat `heartbeat` seconds after `from` unless one is armed.
    private mutating func armHeartbeat(from: Date) -> [Action] {
        guard !heartbeatArmed else { return [] }
        heartbeatArmed = true
        return [.armHeartbeat(at: from.addingTimeInterval(heartbeat))]
    }

    private mutating func stopHeartbeat() -> [Action] {
        guard heartbeatArmed else { return [] }
        heartbeatArmed = false
        return [.cancelHeartbeat]
    }

    private mutating func creditUsedUp() -> [Action] {
        guard case .billing(let open) = access, !outOfCredit else { return [] }
        outOfCredit = true
        cutAt = nil
        return [.log("credit used up", ["leg": "\(open.legID)", "max-duration": "\(open.grantedSeconds)"]),
                .hangUpOutOfCredit(reason: "reserved credit used up after \(open.grantedSeconds) s")]
    }

    /// The B leg of a forward when the call ends while it is still up (or ringing).
    private func forwardEnding(_ forward: Forward, at endedAt: Date) -> LegEnding {
        guard forward.answeredAt != nil else {
            return LegEnding(legID: forward.legID, endedAt: endedAt, disposition: .cancelled, sipCause: 487)
        }
        return LegEnding(legID: forward.legID, endedAt: endedAt, disposition: outOfCredit ? .outOfCredit : .answered,
                         sipCause: 200)
    }
}

extension TrunkLegAdmission.Rating {
    /// How the admission table sees a leg's pricing; `unpriced`: the reason when there is none.
    init(_ pricing: CallBillingMachine.ForwardPricing?, unpriced: @autoclosure () -> String) {
        switch pricing {
        case nil: self = .unpriceable(reason: unpriced())
        case .user?: self = .user
        case let .unpriceable(reason)?: self = .unpriceable(reason: reason)
        case .rated?: self = .rated
        }
    }
}
