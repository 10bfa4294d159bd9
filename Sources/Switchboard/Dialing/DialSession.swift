import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// One `dial` of a script on an answered A leg (a two-party forward): finds who the number
/// rings (`ForwardPlan`: a user's registered phones, its forward number by the account's
/// forward mode, else the trunk that carries the number), rings them through a
/// `ForkingDialer` (each attempt on its own media session, with our SDP offer, RFC 3264
/// §5; ring-back or early media to the A leg meanwhile), bridges the winner's media
/// session to the A leg on answer, watches the A leg's digits for the dial's in-call keys, cuts the
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
    var onConnected: (() -> Void)?

    private var phase = Phase.idle
    private var localEnd: LocalEnd?
    private var route: TrunkSelector.Route?
    private var callerID = ""
    private var bLeg: MediaSession?
    private var call: OutboundCall?
    /// Rings the forward's targets until one answers (its winner becomes `call` and `bLeg`).
    private var dialer: ForkingDialer?
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
        phase = .opening
        lookUpForwarding(of: number)
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

    /// Reads how the dialled user's account forwards its calls off the SIP loop (the store
    /// may block), then comes back here to place the B leg.
    private func lookUpForwarding(of number: String) {
        guard let forwarding = plan.forwarding else { return forwardingFound(number, settings: nil) }
        let session = LoopWeakReference(self)
        let loop = self.loop
        Task {
            let settings = await forwarding.forwardSettings(login: number)
            loop.execute { session.value?.forwardingFound(number, settings: settings) }
        }
    }

    private func forwardingFound(_ number: String, settings: ForwardPlan.Settings?) {
        guard phase == .opening else { return }
        guard localEnd == nil else { return report(.ended, sipStatus: nil) }
        let forward = ForwardPlan(number: number, contacts: plan.registrations?.contacts(of: number) ?? [], settings: settings)
        // Placing begins here, once.
        placeBLeg(number, forward: forward, settings: settings)
    }

    /// Rings the forward's groups (`ForkingDialer`); its winner is bridged in `answered`.
    private func placeBLeg(_ number: String, forward: ForwardPlan, settings: ForwardPlan.Settings?) {
        guard phase == .opening, localEnd == nil else { return report(.ended, sipStatus: nil) }
        let rule = plan.callerIDRules[context["campaign"]?.text ?? ""] ?? CallerIDRule()
        let scriptCallerID = request.callerID
        let caller = context.caller
        let presented = { (route: TrunkSelector.Route) in
            rule.presented(scriptCallerID: scriptCallerID, aLegCaller: caller, trunkCallerID: route.callerID)
        }
        var fields = ["to": number, "groups": "\(forward.groups.count)",
                      "forward-mode": settings.map { $0.mode.rawValue } ?? "-"]
        switch forward.groups.first?.targets.first {
        case .contact(let binding):
            fields["trunk"] = Self.registeredTrunk
            fields["request-uri"] = binding.contact.description
            fields["caller-id"] = rule.presented(scriptCallerID: scriptCallerID, aLegCaller: caller, trunkCallerID: nil)
        case .number(let first):
            let route = try? plan.trunks.route(for: first)
            fields["trunk"] = route?.trunk ?? "-"
            fields["request-uri"] = route?.requestURI.description ?? "-"
            fields["caller-id"] = route.map(presented) ?? ""
        case nil:
            break
        }
        log.event("dial", fields)
        let dialer = ForkingDialer(
            plan: forward, dialled: number, aLeg: aLeg, endpoint: endpoint, registry: registry, services: services, log: log,
            trunks: plan.trunks, domain: plan.domain, ringTimeoutSeconds: max(1, request.ringTimeoutSeconds),
            callerID: presented, onResult: { result in self.placed(result) })
        self.dialer = dialer
        phase = .calling
        dialer.start()
    }

    /// The dialer's one result: the winner (now this dial's `route`, `call`, `bLeg`) is
    /// bridged; or nothing answered, and the last attempt tells how it ended.
    private func placed(_ result: ForkingDialer.Result) {
        dialer = nil
        switch result {
        case .answered(let winner):
            route = winner.route
            call = winner.call
            bLeg = winner.media
            offer = winner.offer
            callerID = winner.callerID
            // The call keeps this session alive until it ends (the A leg may be gone by then:
            // the B leg still needs its media closed and its billing record); `report` lets go.
            winner.call.onEnd = { ending in self.ended(ending) }
            answered(winner.answer)
        case .unanswered(let ending, let last):
            if let last {
                route = last.route
                call = last.call
                callerID = last.callerID
            }
            ended(ending)
        }
    }

    private func answered(_ answer: OutboundCallAnswer) {
        guard phase == .calling, let bLeg, let offer, let call else { return }
        let answerTime = Date()
        answeredAt = answerTime
        // Billed from the 2xx, whatever becomes of the media.
        plan.billing?.outboundLegAnswered(at: answerTime)
        let aLeg = self.aLeg
        let started = OutboundLegMedia.start(bLeg, answer: answer, offer: offer).map { [log] negotiated in
            log.event("dial answered", ["b-call-id": call.callID, "codec": "\(negotiated.codec)",
                                        "remote": "\(negotiated.remoteAddress):\(negotiated.remotePort)"])
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
                onConnected?()
                onConnected = nil
                armTimeLimit()
            case .failure(let error):
                log.problem("bridge failed", ["reason": "\(error)"])
                endBLeg(.failure)
            }
        }
    }

    /// The warning tone `warningSeconds` before the limit, then the cut. The limit is the
    /// script's (credit-checked) cap or what the forward's reservation pays for, the lower.
    private func armTimeLimit() {
        guard let limit = timeLimit else { return }
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
        let session = LoopWeakReference(self)
        InCallBalance.ask(balance, context: context, answerOn: loop) { session.value?.balanceAnswered($0) }
    }

    private func balanceAnswered(_ result: ServiceResult) {
        guard phase == .bridged, let bridge,
              let prompts = InCallBalance.prompts(for: result, context: context, services: services, log: log) else { return }
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
            // forwardingFound sees localEnd and places nothing.
            if why == .aLegGone { phase = .over }
        case .calling, .bridged:
            // Still ringing: the dialer cancels every attempt and reports once they ended.
            if let dialer { dialer.abandon() } else { call?.hangup() }
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

    /// The limit was the credit's (or the reservation's): `out-of-credit`; a shorter cap
    /// of the script's own is a normal end (OutboundLegMedia.timeLimitOutcome).
    private var limitOutcome: DialOutcome {
        OutboundLegMedia.timeLimitOutcome(maxDurationSeconds: request.maxDurationSeconds,
                                          billedSeconds: plan.billing?.maxDurationSeconds, context: context)
    }

    /// Talk seconds allowed: the script's cap and the billing's, the lower.
    private var timeLimit: Int? {
        OutboundLegMedia.timeLimit(maxDurationSeconds: request.maxDurationSeconds,
                                   billedSeconds: plan.billing?.maxDurationSeconds)
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
        // Every dial that reached this point is reported, even one that never found a
        // route: a billed forward's leg was opened before it was placed.
        if let billing = plan.billing {
            let dialled = route?.dialled ?? request.to.first ?? ""
            billing.outboundLegEnded(OutboundLegRecord(
                callID: call?.callID ?? "", aLegCallID: aLegCallID, context: context, trunk: route?.trunk ?? "",
                dialled: dialled, number: route?.number ?? dialled, callerID: callerID, startedAt: startedAt,
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
