import Foundation
import IVR
import Logging
import Media
import NIOCore
import Store

/// What a call needs from the rest of the server, passed in (no globals): media, prompts,
/// the address to put in SDP, and the answers to the interpreter's service requests.
final class CallServices: @unchecked Sendable {
    let logger: Logger
    let mediaEngine: MediaEngine
    let prompts: PromptLibrary
    /// Which prompt files exist per language, for the interpreter's language fallback.
    let promptCatalog: PromptCatalog
    let mediaAddress: String
    /// `media.rtp-timeout`: how long a peer may send nothing before its leg ends; nil: never.
    let mediaTimeout: TimeAmount?
    private let mediaLoops: [any EventLoop]
    private var nextLoop = 0
    private let serviceDesk: any ServiceDesk
    /// Where a script's `callback` verb queues its request; nil on a server without a store.
    var callbackScheduler: CallbackScheduler?
    /// Where calls bill their access leg; nil on a server without a store.
    private let billingStore: (any SwitchbackStore)?

    init(logger: Logger, mediaEngine: MediaEngine, mediaLoops: [any EventLoop], prompts: PromptLibrary,
         promptCatalog: PromptCatalog, mediaAddress: String, serviceDesk: any ServiceDesk,
         billingStore: (any SwitchbackStore)? = nil, mediaTimeout: TimeAmount? = nil) {
        self.billingStore = billingStore
        self.mediaTimeout = mediaTimeout
        self.promptCatalog = promptCatalog
        self.logger = logger
        self.mediaEngine = mediaEngine
        self.mediaLoops = mediaLoops
        self.prompts = prompts
        self.mediaAddress = mediaAddress
        self.serviceDesk = serviceDesk
    }

    /// Spreads calls' media over the event loops (called on the SIP loop only).
    func nextMediaLoop() -> any EventLoop {
        defer { nextLoop = (nextLoop + 1) % mediaLoops.count }
        return mediaLoops[nextLoop]
    }

    /// Answers a request of a call. An account bound by `authenticate` starts the call's
    /// access-leg billing before the answer goes back to the script, so every later request
    /// (a credit check) already sees that reservation.
    func answer(_ request: ServiceRequest, context: IVR.CallContext, billing: CallBilling?) async -> ServiceResult {
        if case .scheduleCallback(let verb) = request { return scheduleCallback(verb, context: context) }
        // Behind the call's earlier billing events (a callback leg's placed access leg first).
        var accessLeg: AccessLegReservation?
        if let billing { accessLeg = await billing.inOrder.value { await billing.accessLeg } }
        let result = await serviceDesk.answer(request, context: context, accessLeg: accessLeg)
        if case .authenticated(let account) = result, let billing, let login = account["login"]?.text {
            await billing.inOrder.value { await billing.accountAuthenticated(login: login) }
        }
        return result
    }

    /// The `callback` verb: queued like every other trigger, or `failed` with the reason.
    private func scheduleCallback(_ verb: IVR.CallbackRequest, context: IVR.CallContext) -> ServiceResult {
        guard let callbackScheduler else { return .failed(reason: "callbacks need the store (no database is configured)") }
        do {
            let queued = try callbackScheduler.schedule(verb, context: context)
            logger.info(queued.isNew ? "callback queued" : "callback already queued", metadata: [
                "request": "\(queued.request.id ?? 0)", "trigger": "\(queued.request.trigger)",
                "to": "\(queued.request.originNumber ?? "")", "campaign": "\(queued.request.campaign)",
            ])
            return .done
        } catch {
            return .failed(reason: "callback to \(verb.to): \(error)")
        }
    }

    /// `$account` for the account `login` (free IVR access binds `free-access-user` so), or
    /// nil when there is no store or no such account. A short indexed read: call it off
    /// the SIP loop.
    func accountVariables(login: String) throws -> [String: IVRValue]? {
        guard let store = billingStore, let account = try store.account(login: login) else { return nil }
        return StoreServiceDesk.accountVariables(account)
    }

    /// The access-leg billing of a call answered at `answeredAt`, or nil without a store.
    func billing(for call: CallBilling.Call, log: CallLogger, cut: @escaping @Sendable (String) -> Void) -> CallBilling? {
        billingStore.map { CallBilling(call: call, store: $0, log: log, cut: cut) }
    }
}

/// Answers the interpreter's service requests (accounts, credit, calls). The billing and
/// call-control layers provide real desks; a server without them refuses clearly.
/// Called off the SIP event loop: a desk may block on its database.
public protocol ServiceDesk: Sendable {
    func answer(_ request: ServiceRequest, context: IVR.CallContext) async -> ServiceResult
    /// The same for a call whose access leg holds money (`CallBilling`): a credit check
    /// counts that reservation as the call's own. Desks without billing ignore it.
    func answer(_ request: ServiceRequest, context: IVR.CallContext, accessLeg: AccessLegReservation?) async -> ServiceResult
}

extension ServiceDesk {
    public func answer(_ request: ServiceRequest, context: IVR.CallContext,
                       accessLeg: AccessLegReservation?) async -> ServiceResult {
        await answer(request, context: context)
    }
}

/// The desk of a server with no accounts configured: every service fails with a reason
/// the script's `failed` path and the logs can show.
public struct UnavailableServiceDesk: ServiceDesk {
    public init() {}

    public func answer(_ request: ServiceRequest, context: IVR.CallContext) async -> ServiceResult {
        .failed(reason: "\(request) is not available on this server")
    }
}
