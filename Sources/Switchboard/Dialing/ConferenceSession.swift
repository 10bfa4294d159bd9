import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// One `dial` of a script to several numbers on an answered A leg: a conference
/// (DESIGN.md, web callback: "several [numbers] = a conference, bounded by
/// `max-participants`").
///
/// The A leg joins a `MediaConference` mixed on its own media loop; every number that
/// fits (`max-participants − 1`, the A leg holds a seat; the rest are logged and not
/// dialled) is called at once through its trunk, each on its own media session opened on
/// that loop with our SDP offer (RFC 3264 §5). Each party that answers joins the mix
/// (everybody hears the others, never themselves) and is told "you are being connected
/// to your calling party"; when one hangs up, the others hear a leave tone and go on
/// talking. The conference ends, with the `dial` verb's outcome, when the A leg keys
/// `end-leg` (`#11`: `ended`), at the time limit (after a warning tone to A: `ended` or
/// `out-of-credit`), or when no B party is left (`ended` when anybody joined, else
/// `busy`/`no-answer`/`failed`); every B leg still up is then hung up (CANCEL before the
/// answer, BYE after it). When the A leg hangs up, all B legs are hung up and nothing is
/// reported. Each B leg gets its own billing record when it is over.
///
/// Confined to the SIP event loop (the endpoint's): `start`, `digit`, `aLegEnded` are
/// called there, and every callback hops back there. Which leg is where is kept in a
/// pure `ConferenceRoster`.
final class ConferenceSession: ForwardSession, @unchecked Sendable {
    /// The limit when the configuration gives none (`callback.max-participants`).
    static let defaultMaximumParticipants = 5

    /// Why we end the conference ourselves.
    private enum LocalEnd {
        /// An in-call key (`end-leg`): outcome `ended`.
        case key
        /// The time limit: `out-of-credit` when the limit was the credit's, else `ended`.
        case limit
        /// No B party is left: the roster's outcome.
        case nobodyLeft
        /// The A leg hung up: nobody is left to tell.
        case aLegGone
    }

    private enum Phase { case idle, joiningALeg, running, over }

    /// One dialled number's outbound leg (confined to the SIP loop like the session).
    private final class Leg: @unchecked Sendable {
        let index: Int
        let route: TrunkSelector.Route
        let callerID: String
        let startedAt = Date()
        var media: MediaSession?
        var offer: SessionDescription?
        var call: OutboundCall?
        var answeredAt: Date?
        /// The answer was unusable or the leg could not join: its outcome is `failed`.
        var failedLocally = false
        var isOver = false

        init(index: Int, route: TrunkSelector.Route, callerID: String) {
            self.index = index
            self.route = route
            self.callerID = callerID
        }
    }

    let request: DialRequest
    let maximumParticipants: Int
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
    private var roster: ConferenceRoster
    private var conference: MediaConference?
    private var legs: [Leg] = []
    private var keys: InCallKeyMatcher
    private var timers: [Scheduled<Void>] = []
    private var limitArmed = false
    private let sessionID = UInt64.random(in: 1...UInt64(Int64.max))
    /// Tokens of our own prompts (apart from the script's playback IDs).
    private static let tokenBase: UInt64 = (1 << 62) + (1 << 40)

    init(request: DialRequest, aLeg: MediaSession, plan: DialPlan, endpoint: SIPEndpoint, registry: OutboundCallRegistry,
         services: CallServices, log: CallLogger, context: CallContext, aLegCallID: String,
         maximumParticipants: Int = ConferenceSession.defaultMaximumParticipants,
         balance: @escaping @Sendable (CallContext) async -> ServiceResult, finish: @escaping (DialOutcome) -> Void) {
        self.request = request
        self.maximumParticipants = max(2, maximumParticipants)
        self.aLeg = aLeg
        self.plan = plan
        self.endpoint = endpoint
        self.registry = registry
        self.services = services
        self.log = log
        self.context = context
        self.aLegCallID = aLegCallID
        self.balance = balance
        self.finish = finish
        roster = ConferenceRoster(numbers: request.to, maximumParticipants: self.maximumParticipants)
        keys = InCallKeyMatcher(keys: request.keys)
    }

    private var loop: any EventLoop { endpoint.eventLoop }

    // MARK: - What the A leg's call does

    func start() {
        loop.preconditionInEventLoop()
        guard phase == .idle else { return }
        for number in roster.skipped {
            log.problem("conference full, number not dialled", ["number": number, "max-participants": "\(maximumParticipants)"])
        }
        guard !roster.legs.isEmpty else {
            phase = .joiningALeg
            return finishConference(.failed, reason: "no number to dial")
        }
        let conference = services.mediaEngine.makeConference(on: aLeg.eventLoop, maximumParticipants: maximumParticipants)
        self.conference = conference
        phase = .joiningALeg
        log.event("conference", ["to": roster.legs.map(\.number).joined(separator: ","),
                                 "max-participants": "\(maximumParticipants)"])
        conference.join(aLeg).hop(to: loop).whenComplete { [self] result in
            switch result {
            case .success: aLegJoined()
            case .failure(let error):
                guard phase == .joiningALeg else { return }
                finishConference(.failed, reason: "the A leg cannot join the conference: \(error)")
            }
        }
    }

    /// A digit from the A leg: the dial's in-call keys (`end-leg` ends the conference).
    func digit(_ digit: Character) {
        loop.preconditionInEventLoop()
        guard phase == .running else { return }
        let now = Int64(NIODeadline.now().uptimeNanoseconds / 1_000_000)
        guard let (sequence, action) = keys.digit(digit, atMilliseconds: now) else { return }
        log.event("in-call key", ["keys": sequence, "action": action.rawValue])
        switch action {
        case .endLeg: end(.key)
        case .sayBalance: sayBalance()
        }
    }

    /// The A leg is gone: hang up every B leg, report nothing.
    func aLegEnded() {
        loop.preconditionInEventLoop()
        finish = nil
        switch phase {
        case .idle: phase = .over
        case .joiningALeg, .running: end(.aLegGone)
        case .over: return
        }
    }

    // MARK: - Placing the B legs

    private func aLegJoined() {
        guard phase == .joiningALeg else { return }
        phase = .running
        for (index, entry) in roster.legs.enumerated() {
            let route: TrunkSelector.Route
            do {
                route = try OutboundLegMedia.route(for: entry.number, plan: plan)
            } catch {
                log.problem("conference leg not routable", ["number": entry.number, "reason": "\(error)"])
                roster.ended(index, outcome: .failed)
                continue
            }
            let leg = Leg(index: index, route: route, callerID: request.callerID ?? route.callerID ?? context.caller)
            legs.append(leg)
            log.event("conference dial", ["to": entry.number, "trunk": route.trunk,
                                          "request-uri": route.requestURI.description, "caller-id": leg.callerID])
            services.mediaEngine.openSession(on: aLeg.eventLoop).hop(to: loop).whenComplete { [self] result in
                switch result {
                case .success(let session): mediaOpened(leg, session)
                case .failure(let error):
                    log.problem("no media port for a conference leg", ["number": entry.number, "reason": "\(error)"])
                    legOver(leg, outcome: .failed, sipStatus: nil)
                }
            }
        }
        endIfNobodyLeft()
    }

    private func mediaOpened(_ leg: Leg, _ session: MediaSession) {
        guard phase == .running else {
            _ = session.close()
            return legOver(leg, outcome: .ended, sipStatus: nil)
        }
        leg.media = session
        let offer = OutboundLegMedia.offer(for: session, address: services.mediaAddress, sessionID: sessionID)
        leg.offer = offer
        let parameters = OutboundLegMedia.parameters(route: leg.route, callerID: leg.callerID, domain: plan.domain,
                                                     offer: offer, ringTimeoutSeconds: request.ringTimeoutSeconds)
        let call = OutboundCall(endpoint: endpoint, parameters: parameters, registry: registry)
        // The call keeps this session alive until it ends (the conference may be over by
        // then: the leg still needs its media closed and its billing record).
        call.onProgress = { [log] progress in
            log.event("dial progress", ["status": "\(progress.status)", "number": leg.route.dialled])
        }
        call.onAnswer = { answer in self.answered(leg, answer) }
        call.onEnd = { ending in self.callEnded(leg, ending) }
        leg.call = call
        call.start()
        log.event("dialing", ["b-call-id": call.callID, "destination": leg.route.destination.description,
                              "number": leg.route.dialled])
    }

    private func answered(_ leg: Leg, _ answer: OutboundCallAnswer) {
        guard phase == .running, !leg.isOver, let media = leg.media, let offer = leg.offer, let call = leg.call,
              let conference else { return }
        let answeredAt = Date()
        leg.answeredAt = answeredAt
        roster.answered(leg.index)
        plan.billing?.outboundLegAnswered(at: answeredAt)
        OutboundLegMedia.start(media, answer: answer, offer: offer)
            .flatMap { negotiated in conference.join(media).map { negotiated } }
            .hop(to: loop)
            .whenComplete { [self] result in
                switch result {
                case .success(let negotiated):
                    joined(leg, negotiated)
                case .failure(let error):
                    log.problem("conference leg could not join", ["b-call-id": call.callID, "reason": "\(error)"])
                    leg.failedLocally = true
                    call.hangup()
                }
            }
    }

    private func joined(_ leg: Leg, _ negotiated: NegotiatedAudio) {
        guard phase == .running, !leg.isOver, let media = leg.media, let conference else { return }
        roster.joined(leg.index)
        onConnected?()
        onConnected = nil
        log.event("conference joined", ["b-call-id": leg.call?.callID ?? "", "number": leg.route.dialled,
                                        "codec": "\(negotiated.codec)",
                                        "remote": "\(negotiated.remoteAddress):\(negotiated.remotePort)",
                                        "participants": "\(roster.joinedCount + 1)"])
        let prompts = joinPrompts()
        if !prompts.isEmpty {
            // Only the joiner hears it; the others already hear the joiner meanwhile.
            conference.play(prompts, to: media, token: Self.tokenBase + 1)
        }
        if !limitArmed {
            limitArmed = true
            armTimeLimit()
        }
    }

    private func joinPrompts() -> [Prompt] {
        let language = context["language"]?.text ?? "en"
        do {
            return [try services.prompts.prompt(named: "being-connected", language: language)]
        } catch {
            log.problem("prompt unavailable", ["prompt": "being-connected", "reason": "\(error)"])
            return []
        }
    }

    /// The warning tone (to A only) `warningSeconds` before the limit, then the end.
    private func armTimeLimit() {
        guard let limit = OutboundLegMedia.timeLimit(maxDurationSeconds: request.maxDurationSeconds,
                                                     billedSeconds: plan.billing?.maxDurationSeconds) else { return }
        if let warning = request.warningSeconds, warning > 0, warning < limit {
            timers.append(loop.scheduleTask(in: .seconds(Int64(limit - warning))) { [weak self] in
                guard let self, self.phase == .running, let conference = self.conference else { return }
                self.log.event("time limit warning", ["seconds-left": "\(warning)"])
                conference.play([WarningTone.prompt], to: self.aLeg, token: Self.tokenBase + 2)
            })
        }
        timers.append(loop.scheduleTask(in: .seconds(Int64(max(0, limit)))) { [weak self] in
            guard let self, self.phase == .running else { return }
            self.log.event("time limit reached", ["seconds": "\(limit)"])
            self.end(.limit)
        })
    }

    private func sayBalance() {
        let session = LoopWeakReference(self)
        InCallBalance.ask(balance, context: context, answerOn: loop) { session.value?.balanceAnswered($0) }
    }

    private func balanceAnswered(_ result: ServiceResult) {
        guard phase == .running, let conference,
              let prompts = InCallBalance.prompts(for: result, context: context, services: services, log: log) else { return }
        log.event("say balance", ["to": "a-leg"])
        // Only the A leg hears its balance; the others keep hearing each other (and A).
        conference.play(prompts, to: aLeg, token: Self.tokenBase + 3)
    }

    // MARK: - Legs ending

    private func callEnded(_ leg: Leg, _ ending: OutboundCallEnding) {
        let outcome: DialOutcome
        if leg.failedLocally {
            outcome = .failed
        } else {
            switch ending.outcome {
            case .busy: outcome = .busy
            case .noAnswer: outcome = .noAnswer
            case .failed: outcome = .failed
            case .ended, .cancelled: outcome = localEnd == .limit ? limitOutcome : .ended
            }
        }
        let wasJoined = roster.legs[leg.index].state == .joined
        log.event("conference leg ended", ["b-call-id": leg.call?.callID ?? "", "number": leg.route.dialled,
                                           "outcome": outcome.rawValue, "b-outcome": ending.outcome.rawValue,
                                           "status": ending.status.map(String.init) ?? "-",
                                           "by": ending.hungUpBy?.rawValue ?? (localEnd == nil ? "remote" : "local")])
        legOver(leg, outcome: outcome, sipStatus: ending.status)
        if wasJoined, phase == .running, let conference {
            log.event("conference left", ["number": leg.route.dialled, "participants": "\(roster.joinedCount + 1)"])
            conference.play([Self.leaveTone], token: Self.tokenBase + 4)
        }
        endIfNobodyLeft()
    }

    /// Leg `leg` is over: its media closed (which leaves the conference), its billing record sent.
    private func legOver(_ leg: Leg, outcome: DialOutcome, sipStatus: Int?) {
        guard !leg.isOver else { return }
        leg.isOver = true
        roster.ended(leg.index, outcome: outcome)
        leg.call?.onAnswer = nil
        leg.call?.onEnd = nil
        leg.call?.onProgress = nil
        if let media = leg.media {
            leg.media = nil
            _ = media.close()
        }
        plan.billing?.outboundLegEnded(OutboundLegRecord(
            callID: leg.call?.callID ?? "", aLegCallID: aLegCallID, context: context, trunk: leg.route.trunk,
            dialled: leg.route.dialled, number: leg.route.number, callerID: leg.callerID, startedAt: leg.startedAt,
            answeredAt: leg.answeredAt, endedAt: Date(), outcome: outcome, sipStatus: sipStatus))
    }

    private func endIfNobodyLeft() {
        guard phase == .running, roster.nobodyLeft else { return }
        end(.nobodyLeft)
    }

    // MARK: - Ending the conference

    /// Ends the conference from our side: every B leg still up is hung up.
    private func end(_ why: LocalEnd) {
        guard phase == .joiningALeg || phase == .running else { return }
        localEnd = why
        let outcome: DialOutcome
        switch why {
        case .key, .aLegGone: outcome = .ended
        case .limit: outcome = limitOutcome
        case .nobodyLeft: outcome = roster.outcome
        }
        // Over first: a hangup may report its leg's end at once, which must not count
        // as a party leaving a conference that goes on.
        finishConference(outcome, reason: nil)
        for leg in legs where !leg.isOver {
            leg.call?.hangup()   // legs still opening their media see the phase and stop there
        }
    }

    /// The limit was the credit's (the interpreter puts it in `$credit.max-duration`):
    /// the script's `out-of-credit`; a shorter cap of the script's own is a normal end.
    private var limitOutcome: DialOutcome {
        OutboundLegMedia.timeLimitOutcome(maxDurationSeconds: request.maxDurationSeconds,
                                          billedSeconds: plan.billing?.maxDurationSeconds, context: context)
    }

    /// Closes the mix (the A leg goes back to its own playback), then reports `outcome`
    /// to the A leg's call, never while it is still carrying out an action.
    private func finishConference(_ outcome: DialOutcome, reason: String?) {
        guard phase != .over else { return }
        phase = .over
        for timer in timers { timer.cancel() }
        timers.removeAll()
        if let reason { log.problem("dial failed", ["reason": reason]) }
        log.event("conference ended", ["outcome": outcome.rawValue, "by": Self.label(localEnd)])
        let closed = conference?.close() ?? loop.makeSucceededVoidFuture()
        closed.hop(to: loop).whenComplete { [self] _ in
            let finish = self.finish
            self.finish = nil
            finish?(outcome)
        }
    }

    private static func label(_ end: LocalEnd?) -> String {
        switch end {
        case .key: return "key"
        case .limit: return "limit"
        case .nobodyLeft: return "nobody-left"
        case .aLegGone: return "a-leg-gone"
        case nil: return "failure"
        }
    }

    /// What the others hear when a party leaves: two short descending beeps (700 Hz,
    /// then 450 Hz, 150 ms each, 50 ms apart), synthesised so no prompt file is needed.
    static let leaveTone = Prompt(name: "conference-leave-tone", language: "", samples: ToneCadence.samples([
        .tone(hertz: 700, milliseconds: 150), .silence(milliseconds: 50), .tone(hertz: 450, milliseconds: 150),
    ], amplitude: 6000))
}
