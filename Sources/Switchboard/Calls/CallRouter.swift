import Foundation
import IVR
import Logging
import Media
import NIOCore
import SIP
import SIPStack

/// The UA core (RFC 3261 §8.2) above the endpoint: sends each request to the call it
/// belongs to, creates calls for INVITEs to access numbers, answers what needs no call.
/// Confined to the SIP event loop.
final class CallRouter: SIPTransactionUser, @unchecked Sendable {
    static let allowedMethods = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO"

    let endpoint: SIPEndpoint
    private let services: CallServices
    private let logger: Logger
    private var catalog: ScriptCatalog
    /// INVITEs we answer: their in-dialog requests, ACKs, CANCELs and ACK time-outs go to them.
    let inboundSessions = InboundSessionRegistry()
    /// Runs scripts on answered legs (inbound and callbacks alike) and keeps them until settled.
    private(set) lazy var legs = ScriptedLegFactory(router: self, services: services)
    /// Calls we placed (B legs): their in-dialog requests, ACKs and stray 2xx go to them.
    let outboundCalls = OutboundCallRegistry()
    /// Trunks and B-leg billing for `dial`; nil: scripts' dials go to the service desk.
    var dialPlan: DialPlan?
    /// The registrar; nil: REGISTER is answered 405 (no credentials to check against).
    var registrations: RegistrationService?
    /// Caller lookups, digest checks and the callback queue for access numbers' modes
    /// (issue 6); nil (no store): every call runs its script, and modes that call back
    /// refuse with 503.
    var callbackTriggers: CallbackTriggerDesk?
    /// The edge proxies whose `X-Switchback-Source` is believed (`sip.edge-proxies`).
    var edgeProxies = EdgeProxies.none
    /// The `dtmf:` of calls from trunks' `trusted-sources` (`InboundTrunkDTMF`).
    var inboundTrunkDTMF = InboundTrunkDTMF.none
    /// INVITEs waiting for their store lookups (off the loop), so a CANCEL meanwhile is answered.
    /// The To tag is the one of our 180, if one went out.
    private var pendingAdmissions: [ObjectIdentifier: (transaction: ServerTransaction, toTag: String?)] = [:]

    init(endpoint: SIPEndpoint, catalog: ScriptCatalog, services: CallServices, logger: Logger) {
        self.endpoint = endpoint
        self.catalog = catalog
        self.services = services
        self.logger = logger
    }

    /// Scripted legs in progress, inbound and callbacks (for metrics and shutdown).
    var activeCalls: Int { legs.live.count }

    var catalogAccessNumbers: [String] { catalog.accessNumbers }

    func replaceCatalog(_ catalog: ScriptCatalog) {
        self.catalog = catalog
    }

    // MARK: - SIPTransactionUser

    func endpoint(_ endpoint: SIPEndpoint, didReceive request: SIPRequest, in transaction: ServerTransaction) {
        let inDialog = request.to?.tag != nil
        if inDialog, outboundCalls.handle(request, in: transaction) { return }
        if inDialog, inboundSessions.handle(request, in: transaction) { return }
        switch request.method {
        case .invite where !inDialog:
            newCall(transaction)
        case .invite, .bye, .info:
            transaction.respond(status: 481)   // §12.2.2: no such dialog
        case .options:
            transaction.respond(status: 200, headers: [
                ("Allow", Self.allowedMethods), ("Accept", "application/sdp"), ("Accept-Language", "en"),
            ])
        case .register where registrations != nil:
            registrations?.handle(transaction, source: origin(of: transaction))
        case .register, .subscribe, .notify, .refer, .message, .publish, .prack, .update:
            transaction.respond(status: 405, headers: [("Allow", Self.allowedMethods)])
        default:
            transaction.respond(status: 501, headers: [("Allow", Self.allowedMethods)])
        }
    }

    /// A new INVITE (RFC 3261 §8.2): find the access number, then, per its mode (DESIGN.md,
    /// "Access-number modes"), run its script, or ring, refuse busy and queue a callback,
    /// or refuse. What the decision needs from the store is fetched off the event loop.
    private func newCall(_ transaction: ServerTransaction) {
        let request = transaction.request
        let number = request.uri.user ?? ""
        guard let triggers = callbackTriggers else {
            guard let entry = catalog.entry(forAccessNumber: number) else { return notFound(transaction, number) }
            if entry.policy.mode.mayCallBack {
                logger.warning("callback mode without a store", metadata: ["to": "\(number)", "mode": "\(entry.policy.mode)"])
                transaction.respond(status: 503, reason: "Service Unavailable (callbacks need the store)")
                return
            }
            run(.runScript(campaign: scriptCampaign(entry), freeAccessAccount: nil), entry: entry, transaction)
            return
        }
        let catalog = self.catalog
        let entry = catalog.entry(forAccessNumber: number)
        // A personal DID that is not an access number runs `callback.did-campaign`, if any.
        guard entry != nil || catalog.didCampaign != nil else { return notFound(transaction, number) }
        let key = ObjectIdentifier(transaction)
        pendingAdmissions[key] = (transaction, nil)
        let router = LoopWeakReference(self)
        let loop = endpoint.eventLoop
        let policy = entry?.policy
        // Caller-ID trust is decided here, once, from the transport source (issue 11), or
        // the source an edge proxy vouches for (issue 17).
        let source = origin(of: transaction).host
        Task {
            let admission: CallbackTriggerDesk.Admission?
            if let policy {
                admission = await triggers.admit(request, policy: policy, dialled: number, source: source)
            } else {
                admission = await triggers.admitPersonalDID(request, dialled: number, source: source)
            }
            loop.execute {
                // Cancelled meanwhile (already answered 487): a callback is still queued, as
                // an ANI caller hangs up once it rang; anything else stops here.
                guard let self = router.value else { return }
                self.pendingAdmissions[key] = nil
                let resolved = entry ?? catalog.entry(forPersonalDID: number)
                guard let admission, let resolved else {
                    if !transaction.isCancelled { self.notFound(transaction, number) }
                    return
                }
                self.admitted(transaction, entry: resolved, admission: admission, triggers: triggers)
            }
        }
    }

    /// Where a request came from: the transport source, or behind an edge proxy the
    /// source it names (`EdgeProxies`). A header from anyone else is logged and ignored.
    private func origin(of transaction: ServerTransaction) -> SIPDestination {
        let origin = edgeOrigin(of: transaction)
        if case .forgedHeaderIgnored(let source, let claimed) = origin {
            logger.warning("edge source header ignored", metadata: [
                "call-id": "\(transaction.request.callID ?? "")", "from": "\(source)", "claimed": "\(claimed)",
                "reason": "the sender is not in sip.edge-proxies",
            ])
        }
        return origin.source
    }

    /// How keys are heard on the A leg of `transaction`'s call: its trunk's `dtmf:` when it
    /// comes from a trunk's `trusted-sources` (judged by the same source as caller-ID
    /// trust), else `auto`. A forged edge header was already logged by `origin(of:)`.
    func dtmfMode(of transaction: ServerTransaction) -> DTMFMode {
        guard !inboundTrunkDTMF.entries.isEmpty else { return .auto }
        return inboundTrunkDTMF.mode(for: edgeOrigin(of: transaction).source.host)
    }

    /// The transport source of `transaction`, or the one a trusted edge proxy names.
    private func edgeOrigin(of transaction: ServerTransaction) -> EdgeProxies.Origin {
        let flow = transaction.flow
        return edgeProxies.origin(of: transaction.request, transport: SIPDestination(
            transport: flow.transport, host: flow.remoteHost, port: flow.remotePort))
    }

    private func notFound(_ transaction: ServerTransaction, _ number: String) {
        logger.info("call to unknown number", metadata: ["to": "\(number)", "call-id": "\(transaction.request.callID ?? "")"])
        transaction.respond(status: 404, reason: "Not Found (no access number \(number))")
    }

    /// The campaign a mode that runs a script names: its own, or the one `callback:` names.
    private func scriptCampaign(_ entry: ScriptCatalog.Entry) -> String {
        if case .script(let id) = entry.policy.mode { return id }
        return entry.campaign
    }

    private func admitted(_ transaction: ServerTransaction, entry: ScriptCatalog.Entry,
                          admission: CallbackTriggerDesk.Admission, triggers: CallbackTriggerDesk) {
        let request = transaction.request
        var entry = entry
        if transaction.isCancelled, case .challenge = admission.digest { return }
        switch admission.digest {
        case .pass:
            break
        case .challenge(let challenge):
            // RFC 3261 §22.3: the access number acts as a proxy would; the retried INVITE
            // is a new transaction (new CSeq) carrying Proxy-Authorization.
            logger.debug("invite challenged", metadata: ["call-id": "\(request.callID ?? "")", "to": "\(entry.accessNumber)"])
            transaction.respond(status: 407, headers: [("Proxy-Authenticate", challenge)])
            return
        case .refuse(let status, let reason):
            triggers.counters.refusedTrigger()
            logger.info("invite refused", metadata: ["call-id": "\(request.callID ?? "")", "reason": "\(reason)"])
            transaction.respond(status: status, reason: SIPEndpoint.reasonPhrase(status, reason))
            return
        case .authenticated(let login):
            entry.callVariables["sip-digest-login"] = .string(login)
        }
        for (name, value) in admission.callVariables(anumberhandling: entry.policy.anumberhandling) {
            entry.callVariables[name] = value
        }
        let decision = CallbackDecision.decide(mode: entry.policy.mode, campaign: entry.campaign, caller: admission.standing,
                                               anumberhandling: entry.policy.anumberhandling,
                                               freeIVRAccess: entry.policy.callback.freeAccess)
        switch decision {
        case .callBack(let trigger):
            callBack(transaction, entry: entry, trigger: trigger, callerID: admission.callerID, triggers: triggers)
        default:
            guard !transaction.isCancelled else { return }
            run(decision, entry: entry, transaction)
        }
    }

    /// Answers and runs a script, or refuses.
    private func run(_ decision: CallbackDecision, entry: ScriptCatalog.Entry, _ transaction: ServerTransaction) {
        switch decision {
        case .runScript(let campaign, let freeAccessAccount):
            guard var chosen = campaign == entry.campaign ? entry : catalog.entry(entry, runningCampaign: campaign) else {
                logger.error("mode names a campaign without a script", metadata: ["campaign": "\(campaign)"])
                transaction.respond(status: 500, reason: "Server Internal Error (campaign \(campaign) has no script)")
                return
            }
            guard let freeAccessAccount else {
                legs.startInbound(transaction, entry: chosen, account: nil)
                return
            }
            chosen.callVariables["free-access-account"] = .string(freeAccessAccount)
            startFreeAccess(transaction, entry: chosen, login: freeAccessAccount)
        case .drop(let reason):
            callbackTriggers?.counters.refusedTrigger()
            logger.info("call dropped by access-number mode", metadata: [
                "call-id": "\(transaction.request.callID ?? "")", "to": "\(entry.accessNumber)",
                "mode": "\(entry.policy.mode)", "reason": "\(reason)",
            ])
            // The reason goes to the log; the caller gets the plain phrase (no oracle).
            transaction.respond(status: 403)
        case .callBack:
            preconditionFailure("callbacks go through callBack(_:entry:trigger:callerID:triggers:)")
        }
    }

    /// Free IVR access (`freeivraccess`/`freeaccessuserid`): the unauthenticated caller runs
    /// the script as the named account, `$account` bound and billed from the answer. The
    /// account is read off the loop first; a CANCEL meanwhile is answered 487.
    private func startFreeAccess(_ transaction: ServerTransaction, entry: ScriptCatalog.Entry, login: String) {
        let key = ObjectIdentifier(transaction)
        pendingAdmissions[key] = (transaction, nil)
        let router = LoopWeakReference(self)
        let services = self.services
        let logger = self.logger
        let loop = endpoint.eventLoop
        Task {
            let account: [String: IVRValue]?
            do {
                account = try services.accountVariables(login: login)
                if account == nil { logger.error("free IVR access names no account", metadata: ["account": "\(login)"]) }
            } catch {
                logger.error("free IVR access account unreadable", metadata: ["account": "\(login)", "error": "\(error)"])
                account = nil
            }
            loop.execute {
                guard let self = router.value, self.pendingAdmissions.removeValue(forKey: key) != nil,
                      !transaction.isCancelled else { return }
                self.legs.startInbound(transaction, entry: entry, account: account)
            }
        }
    }

    /// ANI/PIN/DID callback trigger: 180 Ringing, queue the callback, then 486 Busy Here —
    /// never answered, so the caller pays nothing (DESIGN.md, services 5-7).
    private func callBack(_ transaction: ServerTransaction, entry: ScriptCatalog.Entry, trigger: CallbackTrigger,
                          callerID: String, triggers: CallbackTriggerDesk) {
        let request = transaction.request
        let tag = SIPEndpoint.makeTag()
        let key = ObjectIdentifier(transaction)
        if !transaction.isCancelled {
            transaction.respond(status: 180, toTag: tag)
            pendingAdmissions[key] = (transaction, tag)
        }
        let router = LoopWeakReference(self)
        let loop = endpoint.eventLoop
        let logger = self.logger
        let services = self.services
        Task {
            let result: Result<CallbackScheduler.Queued, CallbackScheduler.ScheduleError>
            let verb = await TriggerScriptRun.callbackVerb(
                of: entry.script, library: entry.library, context: Self.triggerContext(entry, callerID: callerID),
                answer: { request, context in await services.answer(request, context: context, billing: nil) })
            do throws(CallbackScheduler.ScheduleError) {
                result = .success(try triggers.enqueue(trigger, callerID: callerID, entry: entry, verb: verb))
            } catch {
                result = .failure(error)
            }
            loop.execute {
                var metadata: Logger.Metadata = [
                    "call-id": "\(request.callID ?? "")", "to": "\(entry.accessNumber)", "trigger": "\(trigger.callTrigger)",
                    "campaign": "\(entry.campaign)",
                ]
                switch result {
                case .success(let queued):
                    metadata["request"] = "\(queued.request.id ?? 0)"
                    metadata["origin"] = "\(queued.request.originNumber ?? "")"
                    logger.info(queued.isNew ? "callback queued" : "callback already queued", metadata: metadata)
                    // The access number's `ring:` lets the caller hear it ring before the busy.
                    router.value?.finishTrigger(key, status: 486, reason: "Busy Here (callback queued)",
                                                afterMilliseconds: entry.ringMilliseconds)
                case .failure(let error):
                    triggers.counters.refusedTrigger()
                    metadata["error"] = "\(error)"
                    logger.error("callback not queued", metadata: metadata)
                    // The log says why; the caller gets one phrase for every cause (no oracle).
                    router.value?.finishTrigger(key, status: 480, reason: "Temporarily Unavailable",
                                                afterMilliseconds: 0)
                }
            }
        }
    }

    /// What a trigger call's script sees: the caller, the number dialled, the campaign, and
    /// what the router learnt before (a digest-authenticated login).
    private static func triggerContext(_ entry: ScriptCatalog.Entry, callerID: String) -> IVR.CallContext {
        var context = IVR.CallContext(caller: callerID, dnis: entry.accessNumber)
        context.variables["campaign"] = .string(entry.campaign)
        for (name, value) in entry.callVariables { context.variables[name] = value }
        return context
    }

    /// The final answer of a trigger call still pending (not cancelled meanwhile).
    private func finishTrigger(_ key: ObjectIdentifier, status: Int, reason: String, afterMilliseconds delay: Int) {
        guard delay <= 0 else {
            endpoint.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) { [weak self] in
                self?.finishTrigger(key, status: status, reason: reason, afterMilliseconds: 0)
            }
            return
        }
        guard let pending = pendingAdmissions.removeValue(forKey: key), !pending.transaction.isCancelled else { return }
        pending.transaction.respond(status: status, reason: reason, toTag: pending.toTag)
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveACK ack: SIPRequest, flow: SIPFlow) {
        if outboundCalls.handleACK(ack) { return }
        _ = inboundSessions.handleACK(ack)
    }

    func endpoint(_ endpoint: SIPEndpoint, didCancel transaction: ServerTransaction) {
        if let pending = pendingAdmissions.removeValue(forKey: ObjectIdentifier(transaction)) {
            // Not yet a call: the lookups' answer will find it cancelled (RFC 3261 §9.2).
            transaction.respond(status: 487, toTag: pending.toTag)
            return
        }
        _ = inboundSessions.handleCancel(of: transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, transactionTimedOut transaction: ServerTransaction) {
        _ = inboundSessions.handleTimeout(of: transaction)
    }

    func endpoint(_ endpoint: SIPEndpoint, didReceiveStray response: SIPResponse, flow: SIPFlow) {
        if outboundCalls.handleStray(response) { return }
        logger.debug("response matches no transaction", metadata: [
            "status": "\(response.statusCode)", "call-id": "\(response.callID ?? "")", "from": "\(flow)",
        ])
    }
}
