import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack
import Store

/// The real `CallbackDialer`: calls the user back where a dial to the user would ring
/// (`ForwardPlan`: their registered phones first, then their forward number, forward or
/// fork as their account says; any other number through the trunk that carries it),
/// each attempt placed by a `ForkingDialer`, presenting the callback caller number
/// (`callbackcallernumber`), and on answer hands the leg to `ScriptedLegFactory`, which
/// runs the campaign's script on it exactly as on an inbound call (`ScriptedLeg`): media,
/// digits, `dial` with bridging, billing, BYE either way, the queue told its progress.
///
/// Confined to the SIP event loop, except `placeCallback` (any thread), which hops there.
final class OutboundScriptedCall: CallbackDialer, @unchecked Sendable {
    /// How callbacks are placed (`callback:` in the configuration).
    struct Settings: Sendable {
        /// The caller ID presented on callbacks when the request names none; nil: the
        /// access number that triggered it.
        var callerNumber: String?
        /// How long the user's phone may ring before the attempt counts as no-answer.
        var ringTimeout: Duration = .seconds(30)
        /// `callback.free-access-user`: the house account that pays for an unauthenticated
        /// PIN callback's first leg; nil: such callbacks are refused (no INVITE).
        var houseAccount: String?
        /// Each A leg's share of its payer's free balance (`CallbackALegGrants.Shares`).
        var shares = CallbackALegGrants.Shares()
    }

    private unowned let router: CallRouter
    private let services: CallServices
    private let accounts: (any AccountStore)?
    /// Where each A-leg attempt is rated, reserved and recorded before its INVITE; nil (no
    /// store): nothing can pay for a trunk leg, so only registered phones are called.
    private let billing: (any CallbackALegGrants.Backend)?
    private let settings: Settings
    /// Replaced on reload (SIP loop only); a callback uses the version current when placed.
    private var catalog: ScriptCatalog

    init(router: CallRouter, services: CallServices, catalog: ScriptCatalog, accounts: (any AccountStore)?,
         billing: (any CallbackALegGrants.Backend)? = nil, settings: Settings) {
        self.router = router
        self.services = services
        self.catalog = catalog
        self.accounts = accounts
        self.billing = billing ?? (accounts as? any CallbackALegGrants.Backend)
        self.settings = settings
    }

    private var loop: any EventLoop { router.endpoint.eventLoop }

    /// The reloaded scripts, for callbacks placed from now on.
    func replaceCatalog(_ catalog: ScriptCatalog) {
        loop.execute { self.catalog = catalog }
    }

    func placeCallback(_ request: Store.CallbackRequest, events: CallbackLegReporter) {
        // `$account` for a request whose trigger authenticated the account (a short indexed read).
        var account: [String: IVRValue]?
        var personalDID: String?
        if let id = request.accountID, let accounts {
            do {
                if let found = try accounts.account(id: id) {
                    account = StoreServiceDesk.accountVariables(found)
                    personalDID = found.personalDID
                }
            } catch {
                events.report(.unanswered(.failed, reason: "account \(id) unreadable: \(error)"))
                return
            }
        }
        let found = (account: account, personalDID: personalDID)
        loop.execute {
            self.place(request, account: found.account, personalDID: found.personalDID, events: events)
        }
    }

    // MARK: - On the SIP loop

    private func place(_ request: Store.CallbackRequest, account: [String: IVRValue]?, personalDID: String?,
                       events: CallbackLegReporter) {
        let failed: @Sendable (String) -> Void = { reason in events.report(.unanswered(.failed, reason: reason)) }
        guard let entry = campaignEntry(request) else {
            return failed("no access number serves campaign \(request.campaign)")
        }
        guard let number = request.originNumber, !number.isEmpty else {
            return failed("the request has no number to call back")
        }
        let script: IVRScript
        if let name = request.script {
            guard let named = entry.library.script(named: name) else { return failed("no script \(name)") }
            script = named
        } else {
            script = entry.script
        }
        guard let plan = router.dialPlan else { return failed("no dial plan: callbacks cannot be placed") }
        // $dnis: what the user dialled (a DID callback's personal DID authenticates by it).
        let dnis = request.accessNumber ?? (request.trigger == .sipDID ? personalDID : nil) ?? entry.accessNumber
        let callerID = request.callerID ?? settings.callerNumber ?? dnis
        let log = CallLogger(base: services.logger, callID: "callback-\(request.id ?? 0)")
        let leg = { (winner: ForkingDialer.Winner, negotiated: NegotiatedAudio) in
            CallbackLegStart(placement: (winner.billing as? CallbackALegBilling).map { billed in
                                 CallbackLegStart.Placement(placed: billed.placed, record: billed.record)
                             }, call: winner.call, media: winner.media, negotiated: negotiated, caller: number, dnis: dnis,
                             account: account, script: script, node: request.node, library: entry.library,
                             ratedNumber: number, request: RequestVariables.record(for: request),
                             trigger: request.trigger, callVariables: entry.callVariables.merging([
                                 // We dialled this number ourselves: its caller ID is the line we reached.
                                 CallerTrust.variable: CallerTrust.calledBack.value,
                                 CallerTrust.anumberhandlingVariable: .number(Decimal(entry.policy.anumberhandling.rawValue)),
                             ]) { $1 }, events: events)
        }
        // The user's port first, then its forward number as its account says: exactly the
        // routes a dial to the user rings (ForwardPlan).
        plan.forwardPlan(for: number, answerOn: loop) { forward, forwarding in
            log.event("callback dialing", ["request": "\(request.id ?? 0)", "to": number, "caller-id": callerID,
                                           "groups": "\(forward.groups.count)",
                                           "forward-mode": forwarding.map { $0.mode.rawValue } ?? "-",
                                           "trunk": forward.firstRoute(dialled: number, trunks: plan.trunks)?.trunk ?? "-"])
            let dialer = ForkingDialer(
                plan: forward, dialled: number, aLeg: nil,
                launcher: OutboundLegLauncher(endpoint: self.router.endpoint, registry: self.router.outboundCalls,
                                              services: self.services, domain: plan.domain),
                log: log, trunks: plan.trunks, ringTimeoutSeconds: Self.seconds(self.settings.ringTimeout),
                callerID: { _ in callerID },
                onResult: { result in
                    if let id = request.id {
                        let answered = if case .answered = result { true } else { false }
                        self.router.legs.live.stoppedRinging(callbackRequest: id, answered: answered)
                    }
                    switch result {
                    case .answered(let winner):
                        self.answered(winner, start: { negotiated in leg(winner, negotiated) }, campaign: request.campaign,
                                      log: log, events: events)
                    case .unanswered(let ending, let last):
                        log.event("callback not answered", ["request": "\(request.id ?? 0)", "outcome": ending.outcome.rawValue,
                                                            "status": ending.status.map(String.init) ?? "-"])
                        if let refusal = last?.refusal {
                            // Nothing was placed: no rate, a blocked prefix, nobody to pay, no credit.
                            events.report(.unanswered(.failed, reason: "not placed (\(refusal.rawValue)): \(ending.reason)"))
                        } else {
                            events.report(.unanswered(Self.failure(of: ending), reason: ending.description))
                        }
                    }
                })
            // Every attempt is rated, reserved and recorded before its INVITE, or not placed.
            let grants = self.billing.map { CallbackALegGrants(store: $0, request: request, houseAccount: self.settings.houseAccount,
                                                               log: log, shares: self.settings.shares) }
            let loop = self.loop
            dialer.admit = { route, presented, decided in
                guard let grants else {
                    // No store: nothing can pay for a trunk leg; a registered phone is free.
                    if route.trunk == ForwardPlan.registeredTrunk { return decided(.place(billing: nil)) }
                    return decided(.refuse(.failed, reason: "no store: a callback's trunk leg cannot be billed"))
                }
                let bound = NIOLoopBound(decided, eventLoop: loop)
                grants.admit(route, callerID: presented) { admission in
                    let carried = UncheckedAdmission(admission)
                    loop.execute { bound.value(carried.admission) }
                }
            }
            dialer.onAttemptEnded = { attempt in Self.record(attempt, number: number) }
            // `DELETE /api/v1/callbacks/{id}` while the user's phone rings: CANCEL it.
            if let id = request.id { self.router.legs.live.ringing(callbackRequest: id) { dialer.abandon() } }
            dialer.start()
        }
    }

    /// An attempt that did not become the call: its reservation settled at no charge (or
    /// its unreserved record written) with its SIP cause.
    private static func record(_ attempt: ForkingDialer.EndedAttempt, number: String) {
        guard attempt.refusal == nil, let billing = attempt.billing else { return }
        billing.outboundLegEnded(OutboundLegRecord(
            callID: attempt.call?.callID ?? "", aLegCallID: "", context: IVR.CallContext(caller: "", dnis: ""),
            trunk: attempt.route.trunk, dialled: attempt.route.dialled, number: attempt.route.number,
            callerID: attempt.callerID, startedAt: attempt.startedAt, answeredAt: nil, endedAt: Date(),
            outcome: outcome(of: attempt.ending), sipStatus: attempt.ending.status))
    }

    private static func outcome(of ending: OutboundCallEnding) -> DialOutcome {
        switch ending.outcome {
        case .busy: return .busy
        case .noAnswer: return .noAnswer
        case .ended, .cancelled: return .ended
        case .failed: return .failed
        }
    }

    /// Why an unanswered A leg failed, for the retry policy.
    static func failure(of ending: OutboundCallEnding) -> CallbackALegFailure {
        switch ending.outcome {
        case .busy: return .busy
        case .noAnswer: return .noAnswer
        case .ended, .cancelled, .failed: return .failed
        }
    }

    /// Whole seconds of a ring time-out (at least 1).
    static func seconds(_ duration: Duration) -> Int {
        max(1, Int(duration.components.seconds))
    }

    private func answered(_ winner: ForkingDialer.Winner, start: (NegotiatedAudio) -> CallbackLegStart, campaign: String,
                          log: CallLogger, events: CallbackLegReporter) {
        let call = winner.call, media = winner.media
        let negotiated: NegotiatedAudio
        do {
            guard let remote = winner.answer.remoteSDP else { throw CallbackLegError.noSDP }
            negotiated = try SDPOfferAnswer.accept(answer: remote, to: winner.offer)
        } catch {
            log.problem("callback answer unusable", ["reason": "\(error)"])
            call.onEnd = { _ in _ = media.close() }
            call.hangup()
            // Hung up at once: its reservation is released, its CDR written as failed.
            winner.billing?.outboundLegEnded(OutboundLegRecord(
                callID: call.callID, aLegCallID: "", context: IVR.CallContext(caller: "", dnis: ""),
                trunk: winner.route.trunk, dialled: winner.route.dialled, number: winner.route.number,
                callerID: winner.callerID, startedAt: Date(), answeredAt: nil, endedAt: Date(), outcome: .failed,
                sipStatus: winner.answer.response.statusCode))
            events.report(.unanswered(.failed, reason: "answer unusable: \(error)"))
            return
        }
        handOver(start(negotiated), offer: winner.offer, campaign: campaign, log: log)
    }

    /// The answered leg goes to the script host (`ScriptedLegFactory`), which runs the
    /// campaign's script on it exactly as on an inbound call.
    private func handOver(_ leg: CallbackLegStart, offer: SessionDescription, campaign: String, log: CallLogger) {
        let call = leg.call, media = leg.media
        // The user's phone moved its media (re-INVITE, RFC 3264 §8): the leg follows it.
        call.onMediaChanged = { remote in
            OutboundLegMedia.follow(media, remote: remote, offer: offer, log: log, callID: call.callID)
        }
        router.legs.startCallback(leg, campaign: campaign)
    }

    private func campaignEntry(_ request: Store.CallbackRequest) -> ScriptCatalog.Entry? {
        if let number = request.accessNumber, let entry = catalog.entry(forAccessNumber: number),
           entry.campaign == request.campaign {
            return entry
        }
        // A DID callback's access number is the personal DID, served by `callback.did-campaign`.
        if let did = request.accessNumber, let entry = catalog.entry(forPersonalDID: did), entry.campaign == request.campaign {
            return entry
        }
        if let served = catalog.accessNumbers.lazy.compactMap({ self.catalog.entry(forAccessNumber: $0) })
            .first(where: { $0.campaign == request.campaign }) {
            return served
        }
        // An edge's campaign (API, web, spool: `callback.web-campaign`) needs no access number.
        return catalog.entry(forCampaign: request.campaign, dialled: request.accessNumber ?? "")
    }
}

/// Why an answered callback leg could not run its script.
enum CallbackLegError: Error, CustomStringConvertible {
    case noSDP

    var description: String {
        switch self {
        case .noSDP: return "the 2xx carried no SDP answer to our offer"
        }
    }
}

/// A fork attempt's admission, carried from the billing `Task` back to the SIP loop.
private struct UncheckedAdmission: @unchecked Sendable {
    let admission: ForkingDialer.Admission
    init(_ admission: ForkingDialer.Admission) { self.admission = admission }
}
