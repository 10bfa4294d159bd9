import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// One `dial` of a script on an answered A leg (a two-party forward): opens the B leg's
/// media session on the A leg's event loop, places the `OutboundCall` through the trunk
/// that carries the number with our SDP offer (RFC 3264 §5), bridges the two media
/// sessions on answer, watches the A leg's digits for the dial's in-call keys, cuts the
/// B leg at the time limit after a warning tone, and reports how it ended once
/// (`finish`), in the `dial` verb's outcomes.
///
/// Confined to the SIP event loop (the endpoint's): `start`, `digit`, `aLegEnded` are
/// called there, and every callback hops back there.
final class DialSession: @unchecked Sendable {
    /// Why we ended the B leg ourselves, which decides the outcome the script sees.
    private enum LocalEnd {
        /// An in-call key (`end-leg`): outcome `ended`.
        case key
        /// The time limit: `out-of-credit` when the limit was the credit's, else `ended`.
        case limit
        /// The A leg hung up: nobody is left to tell.
        case aLegGone
        /// The answer was unusable (no or bad SDP, the bridge failed): outcome `failed`.
        case failure
    }

    private enum Phase { case idle, opening, calling, bridged, over }

    let request: DialRequest
    private let aLeg: MediaSession
    private let plan: DialPlan
    private let endpoint: SIPEndpoint
    private let registry: OutboundCallRegistry
    private let services: CallServices
    private let log: CallLogger
    private let context: CallContext
    private let aLegCallID: String
    private let balance: @Sendable (CallContext) async -> ServiceResult
    private var finish: ((DialOutcome) -> Void)?

    private var phase = Phase.idle
    private var localEnd: LocalEnd?
    private var route: TrunkSelector.Route?
    private var callerID = ""
    private var bLeg: MediaSession?
    private var call: OutboundCall?
    private var bridge: MediaBridge?
    private var offer: SessionDescription?
    private var keys: InCallKeyMatcher
    private var timers: [Scheduled<Void>] = []
    private var startedAt = Date()
    private var answeredAt: Date?
    private let sessionID = UInt64.random(in: 1...UInt64(Int64.max))
    /// The `trunk` of a route to a registered phone (in logs and billing records).
    static let registeredTrunk = "registered-contact"
    /// Tokens of prompts played to the A leg while bridged, apart from the script's.
    private static let tokenBase: UInt64 = 1 << 62

    init(request: DialRequest, aLeg: MediaSession, plan: DialPlan, endpoint: SIPEndpoint, registry: OutboundCallRegistry,
         services: CallServices, log: CallLogger, context: CallContext, aLegCallID: String,
         balance: @escaping @Sendable (CallContext) async -> ServiceResult, finish: @escaping (DialOutcome) -> Void) {
        self.balance = balance
        self.request = request
        self.aLeg = aLeg
        self.plan = plan
        self.endpoint = endpoint
        self.registry = registry
        self.services = services
        self.log = log
        self.context = context
        self.aLegCallID = aLegCallID
        self.finish = finish
        keys = InCallKeyMatcher(keys: request.keys)
    }

    private var loop: any EventLoop { endpoint.eventLoop }

    // MARK: - What the A leg's call does

    func start() {
        loop.preconditionInEventLoop()
        guard phase == .idle else { return }
        startedAt = Date()
        guard request.to.count == 1, let number = request.to.first else {
            // Several numbers make a conference, which is not dialled from here yet.
            return fail("dial to \(request.to.count) numbers (a conference) is not supported here")
        }
        let route: TrunkSelector.Route
        if let binding = plan.registrations?.contacts(of: number).first {
            route = TrunkSelector.Route(trunk: Self.registeredTrunk, dialled: number, number: number,
                                        requestURI: binding.contact, destination: binding.destination)
        } else {
            do {
                route = try plan.trunks.route(for: number)
            } catch {
                return fail("\(error)")
            }
        }
        self.route = route
        callerID = request.callerID ?? route.callerID ?? context.caller
        phase = .opening
        log.event("dial", ["to": number, "trunk": route.trunk, "request-uri": route.requestURI.description,
                           "caller-id": callerID])
        services.mediaEngine.openSession(on: aLeg.eventLoop).hop(to: loop).whenComplete { [self] result in
            switch result {
            case .success(let session): mediaOpened(session, route: route)
            case .failure(let error): fail("no media port for the B leg: \(error)")
            }
        }
    }

    /// A digit from the A leg (RFC 4733, SIP INFO or in-band).
    func digit(_ digit: Character) {
        loop.preconditionInEventLoop()
        guard phase == .calling || phase == .bridged else { return }
        let now = Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000)
        guard let (sequence, action) = keys.digit(digit, atMilliseconds: now) else { return }
        log.event("in-call key", ["keys": sequence, "action": action.rawValue])
        switch action {
        case .endLeg:
            endBLeg(.key)
        case .sayBalance:
            sayBalance()
        }
    }

    /// The A leg is gone (BYE, or the server ended it): end the B leg, report nothing.
    func aLegEnded() {
        loop.preconditionInEventLoop()
        finish = nil
        endBLeg(.aLegGone)
    }

    // MARK: - Placing the B leg

    private func mediaOpened(_ session: MediaSession, route: TrunkSelector.Route) {
        guard phase == .opening, localEnd == nil else {
            _ = session.close()
            if phase == .opening { report(.ended, sipStatus: nil) }
            return
        }
        bLeg = session
        let offer = SDPOfferAnswer.offer(localAddress: services.mediaAddress, localPort: session.localPort,
                                         sessionID: sessionID, sessionVersion: 1)
        self.offer = offer
        let from = SIPNameAddress(uri: SIPURI(scheme: "sip", user: callerID.isEmpty ? "anonymous" : callerID, host: plan.domain))
        let parameters = OutboundCall.Parameters(
            requestURI: route.requestURI, from: from, destination: route.destination, offer: offer, login: route.login,
            ringTimeout: .seconds(max(1, request.ringTimeoutSeconds)))
        let call = OutboundCall(endpoint: endpoint, parameters: parameters, registry: registry)
        // The call keeps this session alive until it ends (the A leg may be gone by then:
        // the B leg still needs its media closed and its billing record); `report` lets go.
        call.onProgress = { [log] progress in
            log.event("dial progress", ["status": "\(progress.status)", "early-media": progress.earlyMedia == nil ? "no" : "yes"])
        }
        call.onAnswer = { answer in self.answered(answer) }
        call.onEnd = { ending in self.ended(ending) }
        self.call = call
        phase = .calling
        call.start()
        log.event("dialing", ["b-call-id": call.callID, "destination": route.destination.description])
    }

    private func answered(_ answer: OutboundCallAnswer) {
        guard phase == .calling, let bLeg, let offer, let call else { return }
        answeredAt = Date()
        guard let remote = answer.remoteSDP else {
            log.problem("B leg answered without SDP", [:])
            return endBLeg(.failure)
        }
        let negotiated: NegotiatedAudio
        let address: SocketAddress
        do {
            negotiated = try SDPOfferAnswer.accept(answer: remote, to: offer)
            address = try SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort)
        } catch {
            log.problem("B leg's SDP answer unusable", ["reason": "\(error)"])
            return endBLeg(.failure)
        }
        let law: G711Law = negotiated.codec == .pcma ? .alaw : .ulaw
        log.event("dial answered", ["b-call-id": call.callID, "codec": "\(negotiated.codec)",
                                    "remote": "\(negotiated.remoteAddress):\(negotiated.remotePort)"])
        let aLeg = self.aLeg
        let started = bLeg.eventLoop.submit {
            bLeg.start(remote: address, law: law, payloadType: negotiated.payloadType,
                       telephoneEventPayloadType: negotiated.telephoneEventPayloadType)
        }
        started.flatMap { MediaBridge.connect(aLeg, bLeg) }.hop(to: loop).whenComplete { [self] result in
            switch result {
            case .success(let bridge):
                guard phase == .calling else {
                    _ = bridge.unbridge()
                    return
                }
                self.bridge = bridge
                phase = .bridged
                log.event("bridged", ["b-call-id": call.callID])
                armTimeLimit()
            case .failure(let error):
                log.problem("bridge failed", ["reason": "\(error)"])
                endBLeg(.failure)
            }
        }
    }

    /// The warning tone `warningSeconds` before the limit, then the cut.
    private func armTimeLimit() {
        guard let limit = request.maxDurationSeconds else { return }
        if let warning = request.warningSeconds, warning > 0, warning < limit {
            timers.append(loop.scheduleTask(in: .seconds(Int64(limit - warning))) { [weak self] in
                guard let self, self.phase == .bridged, let bridge = self.bridge else { return }
                self.log.event("time limit warning", ["seconds-left": "\(warning)"])
                bridge.play([WarningTone.prompt], to: .a, token: Self.tokenBase, otherLegHears: .audio)
            })
        }
        timers.append(loop.scheduleTask(in: .seconds(Int64(max(0, limit)))) { [weak self] in
            guard let self, self.phase == .bridged else { return }
            self.log.event("time limit reached", ["seconds": "\(limit)"])
            self.endBLeg(.limit)
        })
    }

    private func sayBalance() {
        guard phase == .bridged else { return }
        let balance = self.balance
        let context = self.context
        let session = WeakDialSession(self)
        let loop = self.loop
        Task {
            let result = await balance(context)
            loop.execute { session.value?.balanceAnswered(result) }
        }
    }

    private func balanceAnswered(_ result: ServiceResult) {
        guard phase == .bridged, let bridge else { return }
        guard case let .balance(amount, currency) = result else {
            log.problem("balance unavailable in call", ["answer": "\(result)"])
            return
        }
        let language = context["language"]?.text ?? "en"
        let pack = LanguagePacks.pack(for: language) ?? EnglishLanguagePack()
        var prompts: [Prompt] = []
        for name in ["your-balance-is"] + pack.money(amount, currency: currency) {
            do {
                prompts.append(try services.prompts.prompt(named: name, language: pack.code))
            } catch {
                log.problem("prompt unavailable", ["prompt": name, "reason": "\(error)"])
            }
        }
        guard !prompts.isEmpty else { return }
        log.event("say balance", ["to": "a-leg"])
        // Only the A leg hears its balance; B hears silence meanwhile.
        bridge.play(prompts, to: .a, token: Self.tokenBase + 1)
    }

    // MARK: - Ending

    /// Ends the B leg from our side: CANCEL before the answer, BYE after it.
    private func endBLeg(_ why: LocalEnd) {
        if localEnd == nil || why == .failure { localEnd = why }
        switch phase {
        case .idle, .over:
            return
        case .opening:
            // mediaOpened sees localEnd and closes the session.
            if why == .aLegGone { phase = .over }
        case .calling, .bridged:
            call?.hangup()
        }
    }

    private func ended(_ ending: OutboundCallEnding) {
        guard phase != .over else { return }
        let outcome: DialOutcome
        if localEnd == .failure {
            outcome = .failed
        } else {
            switch ending.outcome {
            case .busy: outcome = .busy
            case .noAnswer: outcome = .noAnswer
            case .failed: outcome = .failed
            case .ended, .cancelled: outcome = localEnd == .limit ? limitOutcome : .ended
            }
        }
        log.event("dial ended", ["outcome": outcome.rawValue, "b-outcome": ending.outcome.rawValue,
                                 "status": ending.status.map(String.init) ?? "-",
                                 "by": ending.hungUpBy?.rawValue ?? (localEnd == nil ? "remote" : "local")])
        report(outcome, sipStatus: ending.status)
    }

    /// The limit was the credit's (the interpreter puts it in `$credit.max-duration`):
    /// the script's `out-of-credit`; a shorter cap of the script's own is a normal end.
    private var limitOutcome: DialOutcome {
        let credit = context.value(at: VariablePath(["credit", "max-duration"]))?.numberValue
            .map { NSDecimalNumber(decimal: $0).intValue }
        guard let credit, let limit = request.maxDurationSeconds else { return .ended }
        return credit <= limit ? .outOfCredit : .ended
    }

    private func fail(_ reason: String) {
        log.problem("dial failed", ["reason": reason])
        report(.failed, sipStatus: nil)
    }

    private func report(_ outcome: DialOutcome, sipStatus: Int?) {
        guard phase != .over else { return }
        phase = .over
        for timer in timers { timer.cancel() }
        timers.removeAll()
        let bridge = self.bridge
        let bLeg = self.bLeg
        self.bridge = nil
        self.bLeg = nil
        call?.onAnswer = nil
        call?.onEnd = nil
        call?.onProgress = nil
        // The A leg is back on its own playback once unbridged; only then may the script play to it.
        let unbridged = bridge?.unbridge() ?? loop.makeSucceededVoidFuture()
        if let bLeg { unbridged.whenComplete { _ in _ = bLeg.close() } }
        if let route, let plan = plan.billing {
            plan.outboundLegEnded(OutboundLegRecord(
                callID: call?.callID ?? "", aLegCallID: aLegCallID, context: context, trunk: route.trunk,
                dialled: route.dialled, number: route.number, callerID: callerID, startedAt: startedAt,
                answeredAt: answeredAt, endedAt: Date(), outcome: outcome, sipStatus: sipStatus))
        }
        // Never call back into the A leg's call while it is still carrying out an action.
        unbridged.hop(to: loop).whenComplete { [self] _ in
            let finish = self.finish
            self.finish = nil
            finish?(outcome)
        }
    }
}

/// Lets a `Task` reach the session back on its loop without keeping an ended one alive.
private struct WeakDialSession: @unchecked Sendable {
    weak var value: DialSession?
    init(_ value: DialSession) { self.value = value }
}
