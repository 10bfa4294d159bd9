import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack
import Store

/// The real `CallbackDialer`: calls the user back on their registered phone or through
/// the trunk that carries the number, presenting the callback caller number
/// (`callbackcallernumber`), and on answer hands the leg to the script host
/// (`InboundCall`), which runs the campaign's script on it exactly as on an inbound call:
/// media, digits, `dial` with bridging, billing, BYE either way.
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
    }

    private unowned let router: CallRouter
    private let services: CallServices
    private let accounts: (any AccountStore)?
    private let settings: Settings
    /// Replaced on reload (SIP loop only); a callback uses the version current when placed.
    private var catalog: ScriptCatalog

    init(router: CallRouter, services: CallServices, catalog: ScriptCatalog, accounts: (any AccountStore)?,
         settings: Settings) {
        self.router = router
        self.services = services
        self.catalog = catalog
        self.accounts = accounts
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
        let route: TrunkSelector.Route
        if let binding = router.dialPlan?.registrations?.contacts(of: number).first {
            route = TrunkSelector.Route(trunk: DialSession.registeredTrunk, dialled: number, number: number,
                                        requestURI: binding.contact, destination: binding.destination)
        } else {
            guard let plan = router.dialPlan else { return failed("no dial plan: callbacks cannot be placed") }
            do {
                route = try plan.trunks.route(for: number)
            } catch {
                return failed("\(error)")
            }
        }
        // $dnis: what the user dialled (a DID callback's personal DID authenticates by it).
        let dnis = request.accessNumber ?? (request.trigger == .sipDID ? personalDID : nil) ?? entry.accessNumber
        let callerID = request.callerID ?? settings.callerNumber ?? dnis
        let domain = router.dialPlan?.domain ?? "switchback.local"
        let log = CallLogger(base: services.logger, callID: "callback-\(request.id ?? 0)")
        services.mediaEngine.openSession(on: services.nextMediaLoop()).hop(to: loop).whenComplete { result in
            switch result {
            case .failure(let error):
                failed("no media port: \(error)")
            case .success(let media):
                let offer = SDPOfferAnswer.offer(localAddress: self.services.mediaAddress, localPort: media.localPort,
                                                 sessionID: UInt64.random(in: 1...UInt64(Int64.max)), sessionVersion: 1)
                let parameters = OutboundCall.Parameters(
                    requestURI: route.requestURI,
                    from: SIPNameAddress(uri: SIPURI(scheme: "sip", user: callerID.isEmpty ? "anonymous" : callerID, host: domain)),
                    destination: route.destination, offer: offer, login: route.login, ringTimeout: self.settings.ringTimeout)
                let call = OutboundCall(endpoint: self.router.endpoint, parameters: parameters, registry: self.router.outboundCalls)
                log.event("callback dialing", ["request": "\(request.id ?? 0)", "to": number, "trunk": route.trunk,
                                               "caller-id": callerID, "a-call-id": call.callID])
                call.onEnd = { ending in
                    _ = media.close()
                    let failure: CallbackALegFailure
                    switch ending.outcome {
                    case .busy: failure = .busy
                    case .noAnswer: failure = .noAnswer
                    case .ended, .cancelled, .failed: failure = .failed
                    }
                    log.event("callback not answered", ["request": "\(request.id ?? 0)", "outcome": ending.outcome.rawValue,
                                                        "status": ending.status.map(String.init) ?? "-"])
                    events.report(.unanswered(failure, reason: ending.description))
                }
                call.onAnswer = { answer in
                    self.answered(answer, call: call, media: media, offer: offer, start: { negotiated in
                        CallbackLegStart(call: call, media: media, negotiated: negotiated, caller: number, dnis: dnis,
                                         account: account, script: script, node: request.node, library: entry.library,
                                         ratedNumber: number, events: events)
                    }, campaign: request.campaign, log: log, events: events)
                }
                call.start()
            }
        }
    }

    private func answered(_ answer: OutboundCallAnswer, call: OutboundCall, media: MediaSession, offer: SessionDescription,
                          start: (NegotiatedAudio) -> CallbackLegStart, campaign: String, log: CallLogger,
                          events: CallbackLegReporter) {
        let negotiated: NegotiatedAudio
        do {
            guard let remote = answer.remoteSDP else { throw CallbackLegError.noSDP }
            negotiated = try SDPOfferAnswer.accept(answer: remote, to: offer)
        } catch {
            log.problem("callback answer unusable", ["reason": "\(error)"])
            call.onEnd = { _ in _ = media.close() }
            call.hangup()
            events.report(.unanswered(.failed, reason: "answer unusable: \(error)"))
            return
        }
        let leg = start(negotiated)
        let host = InboundCall(callback: leg, campaign: campaign, router: router, services: services)
        // The host holds the call (its origin) and the call the host (these closures) until
        // the host's teardown lets go of the closures.
        call.onEnd = { _ in host.callerHungUp() }
        call.onRequest = { transaction in
            guard transaction.request.method == .info else { return false }
            host.info(transaction)
            return true
        }
        events.report(.answered)
        host.startAnswered(leg)
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
