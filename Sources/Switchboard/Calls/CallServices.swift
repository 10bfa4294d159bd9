import Foundation
import IVR
import Logging
import Media
import NIOCore

/// What a call needs from the rest of the server, passed in (no globals): media, prompts,
/// the address to put in SDP, and the answers to the interpreter's service requests.
final class CallServices: @unchecked Sendable {
    let logger: Logger
    let mediaEngine: MediaEngine
    let prompts: PromptLibrary
    /// Which prompt files exist per language, for the interpreter's language fallback.
    let promptCatalog: PromptCatalog
    let mediaAddress: String
    private let mediaLoops: [any EventLoop]
    private var nextLoop = 0
    private let serviceDesk: any ServiceDesk

    init(logger: Logger, mediaEngine: MediaEngine, mediaLoops: [any EventLoop], prompts: PromptLibrary,
         promptCatalog: PromptCatalog, mediaAddress: String, serviceDesk: any ServiceDesk) {
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

    func answer(_ request: ServiceRequest, context: CallContext) async -> ServiceResult {
        await serviceDesk.answer(request, context: context)
    }
}

/// Answers the interpreter's service requests (accounts, credit, calls). The billing and
/// call-control layers provide real desks; a server without them refuses clearly.
/// Called off the SIP event loop: a desk may block on its database.
public protocol ServiceDesk: Sendable {
    func answer(_ request: ServiceRequest, context: CallContext) async -> ServiceResult
}

/// The desk of a server with no accounts configured: every service fails with a reason
/// the script's `failed` path and the logs can show.
public struct UnavailableServiceDesk: ServiceDesk {
    public init() {}

    public func answer(_ request: ServiceRequest, context: CallContext) async -> ServiceResult {
        .failed(reason: "\(request) is not available on this server")
    }
}
