import Billing
import Foundation
import IVR
import Store

/// Admits each attempt of a callback's A leg before its INVITE leaves (issue 11): who
/// pays (the request's account, or for an unauthenticated PIN callback the house account
/// `callback.free-access-user`), the payer's plan rating the number the attempt actually
/// reaches (blocked prefixes included), and the money set aside by `openAccessLeg` (the
/// leg opened unanswered, its talk time counted from its answer), all decided by
/// `TrunkLegAdmission`. A registered phone of the user is placed unrated and recorded.
///
/// Store work runs in a `Task`; the answer comes back through `decided` on any thread.
struct CallbackALegGrants: Sendable {
    typealias Backend = AccountStore & RateStore & BillingStore & CDRStore

    let store: any Backend
    let request: CallbackRequest
    /// `callback.free-access-user`: who pays for an unauthenticated PIN callback's first leg.
    let houseAccount: String?
    let log: CallLogger
    /// How many callbacks one payer may have up at once: each A leg sets aside at most that
    /// share of the free balance (a leg alone would otherwise hold all of it for the
    /// longest call, and the payer's next callback would be refused for want of credit).
    var shares = Shares()

    struct Shares: Sendable {
        /// `callback.limits.concurrent-per-account` (0: no limit, counted as 1).
        var account = 1
        /// `callback.limits.concurrent-unauthenticated`: the house account's PIN callbacks.
        var house = 1
    }

    /// What a decision needs of the payer.
    struct Payer: Sendable {
        var accountID: Int64
        var login: String
        var plan: RatePlan?
    }

    func admit(_ route: TrunkSelector.Route, callerID: String,
               _ decided: @escaping @Sendable (ForkingDialer.Admission) -> Void) {
        let grants = self
        Task { decided(grants.decide(route, callerID: callerID, at: Date())) }
    }

    /// The admission of one attempt (store reads, and the reservation when it is due).
    func decide(_ route: TrunkSelector.Route, callerID: String, at now: Date) -> ForkingDialer.Admission {
        let kind = TrunkLegAdmission.Kind.callbackALeg(request.trigger)
        let context = Store.CallContext(campaign: request.campaign, trigger: request.trigger.rawValue)
        let isContact = route.trunk == ForwardPlan.registeredTrunk
        let (payerChoice, payer) = resolvePayer()
        // A registered phone needs no payer, but its record names the account when there is one.
        let recorder = CallbackALegRecord(store: store, accountID: payer?.accountID, request: request, callerID: callerID,
                                          number: route.number, startedAt: now, log: log)
        var admission = TrunkLegAdmission(kind: kind, route: isContact ? .registeredContact : .trunk, payer: payerChoice,
                                          rating: rating(route.number, plan: payer?.plan, payer: payer))
        var placed: CallBillingMachine.PlacedAccessLeg?
        if admission.verdict == .reserve, let payer, let plan = payer.plan {
            if plan.chargesALeg {
                do {
                    let parts: Int
                    if case .houseAccount = payerChoice { parts = shares.house } else { parts = shares.account }
                    let outcome = try store.openAccessLeg(AccessLegRequest(
                        accountID: payer.accountID, plan: plan, caller: callerID, accessNumber: route.number,
                        startedAt: now, answeredAt: nil, call: context,
                        limit: try shareLimit(parts: parts, payer: payer.accountID, plan: plan, number: route.number)), at: now)
                    switch outcome {
                    case let .opened(grant):
                        placed = CallBillingMachine.PlacedAccessLeg(
                            accountID: payer.accountID, login: payer.login, plan: plan, reservationID: grant.reservationID,
                            legID: grant.legID, grantedSeconds: grant.grantedSeconds, amount: grant.reservation.amount,
                            number: route.number, callerID: callerID, userShareParts: shares.account)
                        admission.reservation = .granted(seconds: grant.grantedSeconds)
                    case let .refused(refusal, _):
                        // The store wrote the leg's CDR as out-of-credit, never placed.
                        admission.reservation = .refused(reason: refusal.description)
                    }
                } catch {
                    admission.reservation = .refused(reason: "store error: \(error)")
                }
            } else {
                let free = (try? store.freeBalance(account: payer.accountID)).map { $0.minorUnits > 0 } ?? false
                admission.reservation = .freeLeg(freeBalancePositive: free)
            }
        }
        switch admission.verdict {
        case .reserve:
            return .refuse(.failed, reason: "billing gave no answer")
        case .place:
            guard let placed else { return .refuse(.failed, reason: "billing gave no answer") }
            log.event("callback leg admitted", ["to": route.number, "account": placed.login,
                                                "reservation": "\(placed.reservationID)", "leg": "\(placed.legID)",
                                                "max-duration": "\(placed.grantedSeconds)"])
            return .place(billing: CallbackALegBilling(record: recorder, placed: placed))
        case .placeUnrated:
            log.event("callback leg admitted", ["to": route.number, "account": payer?.login ?? "-",
                                                "rated": "no", "route": route.trunk])
            return .place(billing: CallbackALegBilling(record: recorder, placed: nil))
        case let .refuse(outcome, reason):
            log.event("callback leg refused", ["to": route.number, "outcome": outcome.rawValue, "reason": reason,
                                               "trigger": request.trigger.rawValue])
            return .refuse(outcome, reason: reason)
        }
    }

    /// The longest A leg that `1/parts` of the payer's free balance pays for.
    private func shareLimit(parts: Int, payer: Int64, plan: RatePlan, number: String) throws -> Int {
        guard parts > 1 else { return MaximumDuration.defaultLimit }
        return MaximumDuration.shareLimit(freeBalance: try store.freeBalance(account: payer), parts: parts,
                                          rate: try plan.rate(for: number))
    }

    /// The request's account; for a PIN callback without one, the house account.
    private func resolvePayer() -> (TrunkLegAdmission.Payer, Payer?) {
        do {
            var login: String?
            var account: Account?
            if let id = request.accountID {
                guard let found = try store.account(id: id) else {
                    return (.nobody(reason: "account #\(id) of the request no longer exists"), nil)
                }
                account = found
                login = found.login
            }
            let choice = TrunkLegAdmission.callbackPayer(trigger: request.trigger, accountLogin: login,
                                                         houseAccount: houseAccount)
            if case .houseAccount(let house) = choice {
                guard let found = try store.account(login: house) else {
                    return (.nobody(reason: "callback.free-access-user \(house) is no account"), nil)
                }
                account = found
            }
            guard let account, let accountID = account.id else { return (choice, nil) }
            let plan = try account.ratePlan.flatMap { try store.ratePlan(named: $0) }
            return (choice, Payer(accountID: accountID, login: account.login, plan: plan))
        } catch {
            return (.nobody(reason: "store error: \(error)"), nil)
        }
    }

    /// How the payer's plan rates `number` (the number the attempt reaches).
    private func rating(_ number: String, plan: RatePlan?, payer: Payer?) -> TrunkLegAdmission.Rating {
        guard let payer else { return .unpriceable(reason: "nobody to rate for") }
        guard let plan else { return .unpriceable(reason: "account \(payer.login) has no rate plan") }
        do {
            _ = try plan.rate(for: number)
            return .rated
        } catch {
            if case .blocked = error { return .blocked(reason: error.description) }
            return .noRate(reason: error.description)
        }
    }
}

/// Where a callback A-leg attempt's record goes when it did not become the call: its
/// reservation settled at no charge with the SIP cause (busy, no answer, failed, a loser
/// of a fork), or an unreserved leg recorded at no charge.
struct CallbackALegBilling: OutboundLegBilling {
    let record: CallbackALegRecord
    /// The leg opened before its INVITE; nil: no money held (a registered phone, a free A leg).
    let placed: CallBillingMachine.PlacedAccessLeg?

    var maxDurationSeconds: Int? { placed?.grantedSeconds }

    func outboundLegEnded(_ ended: OutboundLegRecord) {
        record.ended(placed: placed, answeredAt: ended.answeredAt, endedAt: ended.endedAt,
                     disposition: UnbilledLegRecorder.disposition(of: ended),
                     sipCause: ended.sipStatus ?? (ended.answeredAt != nil ? 200 : nil))
    }
}

/// The CDR side of one callback A-leg attempt.
struct CallbackALegRecord: Sendable {
    let store: any CallbackALegGrants.Backend
    let accountID: Int64?
    let request: CallbackRequest
    /// The CDR's `from`: the caller ID we presented.
    let callerID: String
    let number: String
    /// When the attempt was admitted (its INVITE leaves right after).
    let startedAt: Date
    let log: CallLogger

    /// Writes the leg's CDR: settles its reservation (priced from its answer, zero when it
    /// was never answered), or records it unbilled.
    func ended(placed: CallBillingMachine.PlacedAccessLeg?, answeredAt: Date?, endedAt: Date, disposition: CallDisposition,
               sipCause: Int?) {
        let record = self
        Task {
            do {
                if let placed {
                    if let answeredAt { try record.store.recordAnswer(leg: placed.legID, at: answeredAt) }
                    _ = try record.store.settle(reservation: placed.reservationID, endings: [
                        LegEnding(legID: placed.legID, endedAt: endedAt, disposition: disposition, sipCause: sipCause),
                    ], at: endedAt)
                } else {
                    _ = try record.store.recordUnbilledLeg(UnbilledCallLeg(
                        accountID: record.accountID, campaign: record.request.campaign,
                        trigger: record.request.trigger.rawValue, leg: .a, fromNumber: record.callerID,
                        toNumber: record.number, startedAt: record.startedAt, answeredAt: answeredAt,
                        endedAt: endedAt, disposition: disposition, sipCause: sipCause))
                }
                record.log.event("callback leg recorded", ["to": record.number, "disposition": disposition.rawValue,
                                                           "sip-cause": sipCause.map(String.init) ?? "-"])
            } catch {
                record.log.problem("CDR not written", ["to": record.number, "reason": "\(error)"])
            }
        }
    }
}
