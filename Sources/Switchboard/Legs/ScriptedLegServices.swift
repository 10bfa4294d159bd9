import Foundation
import IVR
import Media
import NIOCore

/// What a `ScriptedLeg` needs from the rest of the server: the answers to the
/// interpreter's service requests, prompt audio, and its access leg's billing. Tests give
/// it a fake; the server gives it `LegServiceDesk`.
protocol ScriptedLegServices: AnyObject {
    /// Answers `request` (off the SIP loop); `reply` runs back on the SIP loop.
    func answer(_ request: ServiceRequest, context: CallContext, billing: LegBilling?,
                reply: @escaping (ServiceResult) -> Void)
    func prompt(_ ref: PromptRef) throws -> Prompt
    /// The billing of a leg answered at `call.answeredAt`, or nil (no store). `cut` ends
    /// the leg when its credit is used up (called off the loop).
    func billing(for call: CallBilling.Call, log: CallLogger, cut: @escaping @Sendable (String) -> Void) -> LegBilling?
}

/// The server's `ScriptedLegServices`: the call services' desk and store, answers hopping
/// back to the SIP loop.
final class LegServiceDesk: ScriptedLegServices {
    private let services: CallServices
    private let loop: any EventLoop

    init(services: CallServices, loop: any EventLoop) {
        self.services = services
        self.loop = loop
    }

    func answer(_ request: ServiceRequest, context: CallContext, billing: LegBilling?,
                reply: @escaping (ServiceResult) -> Void) {
        let services = self.services
        let loop = self.loop
        let reply = UncheckedReply(reply)
        Task {
            let result = await services.answer(request, context: context, billing: billing?.billing)
            loop.execute { reply.body(result) }
        }
    }

    func prompt(_ ref: PromptRef) throws -> Prompt {
        try services.prompts.prompt(named: ref.name, language: ref.language)
    }

    func billing(for call: CallBilling.Call, log: CallLogger, cut: @escaping @Sendable (String) -> Void) -> LegBilling? {
        services.billing(for: call, log: log, cut: cut).map(LegBilling.init)
    }
}

/// A closure confined to the SIP loop, carried through a `Task` and only called back there.
private struct UncheckedReply: @unchecked Sendable {
    let body: (ServiceResult) -> Void
    init(_ body: @escaping (ServiceResult) -> Void) { self.body = body }
}
