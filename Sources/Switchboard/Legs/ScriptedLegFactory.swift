import Foundation
import IVR
import SIPStack

/// Puts scripted legs in service: an INVITE to an access number (`InboundCallLeg`) and a
/// callback's answered A leg (`PlacedCallLeg`) become the same `ScriptedLeg`, with what
/// each knows bound before the script starts (`$caller`, `$dnis`, `$campaign`, `$account`,
/// `$request`), and are kept in `live` until their billing settled.
///
/// Confined to the SIP event loop.
final class ScriptedLegFactory {
    let live = LiveLegs()
    private unowned let router: CallRouter
    private let services: CallServices
    private let desk: LegServiceDesk

    init(router: CallRouter, services: CallServices) {
        self.router = router
        self.services = services
        desk = LegServiceDesk(services: services, loop: router.endpoint.eventLoop)
    }

    /// Answers `invite` (after the entry's ring time) and runs the entry's script once the
    /// ACK came. `account`: `$account` bound from the start (free IVR access).
    func startInbound(_ invite: ServerTransaction, entry: ScriptCatalog.Entry, account: [String: IVRValue]?) {
        let request = invite.request
        let caller = request.from?.uri.user ?? ""
        var context = CallContext(caller: caller, dnis: entry.accessNumber)
        context.variables["campaign"] = .string(entry.campaign)
        // What the router learnt before answering (a digest-authenticated login, free access).
        for (name, value) in entry.callVariables { context.variables[name] = value }
        if let account { context.variables["account"] = .record(account) }
        let log = CallLogger(base: services.logger, callID: request.callID ?? "?")
        log.event("call received", [
            "from": request.from?.uri.description ?? "", "to": entry.accessNumber, "campaign": entry.campaign,
            "script": entry.script.name.value, "via": invite.flow.description,
        ])
        let session = InboundSession(endpoint: router.endpoint, invite: invite,
                                     parameters: .init(ring: .milliseconds(Int64(entry.ringMilliseconds)),
                                                       allow: CallRouter.allowedMethods),
                                     registry: router.inboundSessions)
        let now = Date()
        // A call from a trunk's trusted-sources hears keys as the trunk's `dtmf:` says.
        let leg = InboundCallLeg(session: session, services: services, log: log, dtmfMode: router.dtmfMode(of: invite))
        start(leg, script: entry.script, library: entry.library,
              context: context, node: nil,
              billing: .init(call: CallBilling.Call(caller: caller, accessNumber: entry.accessNumber, campaign: entry.campaign,
                                                    startedAt: now, answeredAt: now),
                             payer: account?["login"]?.text),
              observer: nil, log: log)
    }

    /// Runs the script on a callback's answered A leg, at the node the request named,
    /// its progress reported to the callback worker.
    func startCallback(_ start: CallbackLegStart, campaign: String) {
        var context = CallContext(caller: start.caller, dnis: start.dnis)
        for (name, value) in start.callVariables { context.variables[name] = value }
        context.variables["campaign"] = .string(campaign)
        context.variables["request"] = start.request
        if let account = start.account { context.variables["account"] = .record(account) }
        let log = CallLogger(base: services.logger, callID: start.call.callID)
        log.event("callback answered", [
            "to": start.caller, "dnis": start.dnis, "campaign": campaign, "script": start.script.name.value,
            "node": start.node ?? start.script.start.value,
        ])
        let now = Date()
        var billing = ScriptedLeg.Billing(call: CallBilling.Call(caller: start.caller, accessNumber: start.ratedNumber,
                                                                 campaign: campaign, trigger: start.trigger,
                                                                 startedAt: now, answeredAt: now),
                                          // The trigger authenticated the account: it pays for the forwards.
                                          payer: start.account?["login"]?.text)
        var observer = CallbackProgressObserver(events: start.events)
        if let placement = start.placement {
            // Rated and reserved before its INVITE: the call adopts that leg (issue 11).
            billing.placement = .init(placed: placement.placed)
            if placement.placed == nil {
                let record = placement.record
                observer.unreservedRecord = {
                    record.ended(placed: nil, answeredAt: now, endedAt: Date(), disposition: .answered, sipCause: 200)
                }
            }
        }
        self.start(PlacedCallLeg(call: start.call, media: start.media, negotiated: start.negotiated,
                                 mediaTimeout: services.mediaTimeout, log: log),
                   script: start.script, library: start.library, context: context, node: start.node,
                   billing: billing, observer: observer, log: log,
                   callbackRequest: Self.requestID(start.request))
    }

    /// The queue entry's id in `$request` (`RequestVariables`).
    static func requestID(_ request: IVRValue) -> Int64? {
        guard case .record(let fields) = request, case .number(let id)? = fields["id"] else { return nil }
        return NSDecimalNumber(decimal: id).int64Value
    }

    private func start(_ leg: any CallLegProtocol, script: IVRScript, library: ScriptLibrary, context: CallContext, node: String?,
                       billing: ScriptedLeg.Billing, observer: (any ScriptedLegObserver)?, log: CallLogger,
                       callbackRequest: Int64? = nil) {
        let interpreter = Interpreter(script: script, context: context, promptCatalog: services.promptCatalog,
                                      library: library)
        let forwards = DialStarter(plan: router.dialPlan, endpoint: router.endpoint, registry: router.outboundCalls,
                                   services: services)
        let scripted = ScriptedLeg(leg: leg, interpreter: interpreter, startNode: node, billing: billing, services: desk,
                                   forwards: forwards, loop: router.endpoint.eventLoop, log: log)
        scripted.observer = observer
        live.add(scripted, callbackRequest: callbackRequest)
        scripted.start()
    }
}
