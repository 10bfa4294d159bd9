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
/// dialled) is called at once where `ForwardPlan` sends it (a user's registered phone,
/// else its forward number, else the trunk that carries it), each leg placed by the
/// `OutboundLegLauncher` on its own media session on that loop with our SDP offer
/// (RFC 3264 §5). Each party that answers joins the mix
/// (everybody hears the others, never themselves) and is told "you are being connected
/// to your calling party"; when one hangs up, the others hear a leave tone and go on
/// talking. The conference ends, with the `dial` verb's outcome, when the A leg keys
/// `end-leg` (`#11`: `ended`), at the time limit (after a warning tone to A: `ended` or
/// `out-of-credit`), or when no B party is left (`ended` when anybody joined, else
/// `busy`/`no-answer`/`failed`); every B leg still up is then hung up (CANCEL before the
/// answer, BYE after it). When the A leg hangs up, all B legs are hung up and nothing is
/// reported. The in-call keys and the time limit are `InCallControls`, as for a
/// two-party forward. Each B leg tried gets its own leg record when it is over (one CDR
/// per leg: the dial's billing when it has one, else recorded unbilled).
///
/// Confined to the SIP event loop (the endpoint's): `start`, `digit`, `aLegEnded` are
/// called there, and every callback hops back there. Which leg is where is kept in a
/// pure `ConferenceRoster`.
final class ConferenceSession: ForwardSession, @unchecked Sendable {
    /// The limit when the configuration gives none (`callback.max-participants`).
    static let defaultMaximumParticipants = 5

    /// Why we end the conference ourselves, apart from the controls' reasons.
    private enum LocalEnd {
        /// An in-call key or the time limit (the controls know which).
        case controls(InCallControls.Ending)
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
        /// Who pays for it: its own reservation (`ConferencePartyGrants`), else recorded unbilled.
        var billing: (any OutboundLegBilling)?
        /// Hangs the party up when its reservation's talk time is used up.
        var cut: Scheduled<Void>?
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
    /// Which number's leg is where (pure), and the legs placed so far.
    private var roster: ConferenceRoster
    private var legs: [Leg] = []
    private let environment: DialEnvironment
    private var conference: MediaConference?
    private var controls: InCallControlsRunner!
    private var phase = Phase.idle
    /// Parties asked for money one at a time, each held to its share of the free balance.
    private var reservations = PartyReservationQueue<Leg>(parties: 0)
    private var localEnd: LocalEnd?
    /// Told the outcome once; nil once told, or when the A leg is gone.
    private var finish: ((DialOutcome) -> Void)?
    var onConnected: (() -> Void)?
    private let sessionID = UInt64.random(in: 1...UInt64(Int64.max))
    /// Tokens of our own prompts (apart from the script's playback IDs).
    private static let tokenBase: UInt64 = (1 << 62) + (1 << 40)

    init(request: DialRequest, environment: DialEnvironment, finish: @escaping (DialOutcome) -> Void) {
        self.request = request
        self.maximumParticipants = max(2, environment.plan.maxParticipants)
        self.environment = environment
        self.finish = finish
        roster = ConferenceRoster(numbers: request.to, maximumParticipants: self.maximumParticipants)
        controls = InCallControlsRunner(
            controls: InCallControls(request: request, billedSeconds: environment.plan.billing?.maxDurationSeconds,
                                     context: environment.context),
            environment: environment, loop: environment.loop,
            speak: { [unowned self] speech, prompts in speak(speech, prompts) },
            end: { [unowned self] ending in end(.controls(ending)) })
    }

    private var loop: any EventLoop { environment.loop }
    private var log: CallLogger { environment.log }
    private var aLeg: MediaSession { environment.aLeg }
    private var services: CallServices { environment.services }
    /// Where a leg's record goes: its own grant, else the dial's billing, else recorded unbilled.
    private func legBilling(_ leg: Leg) -> (any OutboundLegBilling)? {
        leg.billing ?? environment.plan.billing ?? environment.unbilledLegs
    }

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
        controls.digit(digit)
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

    /// Each party is routed as every call is (`ForwardPlan`): a user's registered phone
    /// first, else its forward number by its forward mode, else the trunk. A conference
    /// seat rings one target: the plan's first.
    private func aLegJoined() {
        guard phase == .joiningALeg else { return }
        phase = .running
        reservations = PartyReservationQueue(parties: roster.legs.count)
        for (index, entry) in roster.legs.enumerated() {
            let session = LoopWeakReference(self)
            environment.plan.forwardPlan(for: entry.number, answerOn: loop) { forward, _ in
                session.value?.routed(index, entry.number, forward)
            }
        }
    }

    private func routed(_ index: Int, _ number: String, _ forward: ForwardPlan) {
        guard phase == .running else {
            roster.ended(index, outcome: .ended)
            return
        }
        let route: TrunkSelector.Route
        do {
            guard let first = forward.groups.first?.targets.first else { throw TrunkSelectionError.noTrunk(number: number) }
            route = try ForwardPlan.route(for: first, dialled: number, trunks: environment.plan.trunks)
        } catch {
            log.problem("conference leg not routable", ["number": number, "reason": "\(error)"])
            roster.ended(index, outcome: .failed)
            return endIfNobodyLeft()
        }
        let leg = Leg(index: index, route: route, callerID: request.callerID ?? route.callerID ?? environment.context.caller)
        legs.append(leg)
        admit(leg)
    }

    /// Each party is rated at the number its leg reaches and reserved before its INVITE
    /// (`TrunkLegAdmission` through the plan's `legGrants`); a registered phone of a user
    /// needs neither. Refused: the party is not called, and its seat ends with the refusal.
    private func admit(_ leg: Leg) {
        guard leg.route.trunk != ForwardPlan.registeredTrunk, environment.plan.legGrants != nil else {
            return place(leg)
        }
        if let (leg, share) = reservations.admit(leg) { askForReservation(leg, share: share) }
    }

    private func askForReservation(_ leg: Leg, share: Int) {
        guard let grants = environment.plan.legGrants else { return place(leg) }
        let session = NIOLoopBound(self, eventLoop: loop)
        let loop = self.loop
        grants.grant(number: leg.route.number, callerID: leg.callerID, limitSeconds: request.maxDurationSeconds,
                     ringTimeoutSeconds: request.ringTimeoutSeconds, share: share) { grant in
            loop.execute {
                let session = session.value
                switch grant {
                case .unbilled:
                    session.place(leg)
                case .granted(let billing):
                    leg.billing = billing
                    session.place(leg)
                case let .refused(outcome, reason):
                    session.log.event("conference party not called", ["number": leg.route.dialled,
                                                                      "outcome": outcome.rawValue, "reason": reason])
                    leg.isOver = true
                    session.roster.ended(leg.index, outcome: outcome)
                    session.endIfNobodyLeft()
                }
                session.askForNextReservation()
            }
        }
    }

    private func askForNextReservation() {
        guard phase == .running else {
            for leg in reservations.abandon() { legOver(leg, outcome: .ended, sipStatus: nil) }
            return
        }
        if let (leg, share) = reservations.answered() { askForReservation(leg, share: share) }
    }

    private func place(_ leg: Leg) {
        guard phase == .running else { return legOver(leg, outcome: .ended, sipStatus: nil) }
        let number = leg.route.dialled
        let route = leg.route
        log.event("conference dial", ["to": number, "trunk": route.trunk,
                                      "request-uri": route.requestURI.description, "caller-id": leg.callerID])
        environment.launcher.launch(route, callerID: leg.callerID, ringTimeout: .seconds(Int64(request.ringTimeoutSeconds)),
                                    mediaLoop: aLeg.eventLoop, sessionID: sessionID).whenComplete { [self] result in
            switch result {
            case .success(let launched): self.launched(leg, launched)
            case .failure(let error):
                log.problem("no media port for a conference leg", ["number": number, "reason": "\(error)"])
                legOver(leg, outcome: .failed, sipStatus: nil)
                endIfNobodyLeft()
            }
        }
    }

    private func launched(_ leg: Leg, _ launched: OutboundLegLauncher.Leg) {
        guard phase == .running else {
            _ = launched.media.close()
            return legOver(leg, outcome: .ended, sipStatus: nil)
        }
        leg.media = launched.media
        leg.offer = launched.offer
        let call = launched.call
        // The call keeps this session alive until it ends (the conference may be over by
        // then: the leg still needs its media closed and its billing record).
        call.onProgress = { [log] progress in
            log.event("dial progress", ["status": "\(progress.status)", "number": leg.route.dialled])
        }
        call.onAnswer = { answer in self.answered(leg, answer) }
        call.onEnd = { ending in self.callEnded(leg, ending) }
        call.onMediaChanged = { remote in self.mediaChanged(leg, remote) }
        leg.call = call
        call.start()
        log.event("dialing", ["b-call-id": call.callID, "destination": leg.route.destination.description,
                              "number": leg.route.dialled])
    }

    /// A party's re-INVITE moved its media (RFC 3264 §8): send there from now on.
    private func mediaChanged(_ leg: Leg, _ remote: SessionDescription) {
        guard !leg.isOver, let media = leg.media, let offer = leg.offer else { return }
        OutboundLegMedia.follow(media, remote: remote, offer: offer, log: log, callID: leg.call?.callID ?? "")
    }

    private func answered(_ leg: Leg, _ answer: OutboundCallAnswer) {
        guard phase == .running, !leg.isOver, let media = leg.media, let offer = leg.offer, let call = leg.call,
              let conference else { return }
        let answeredAt = Date()
        leg.answeredAt = answeredAt
        roster.answered(leg.index)
        legBilling(leg)?.outboundLegAnswered(at: answeredAt)
        if let seconds = leg.billing?.maxDurationSeconds {
            // The party's reservation pays for this much talk: then it is hung up (the others go on).
            leg.cut = loop.scheduleTask(in: .seconds(Int64(max(1, seconds)))) { [self] in
                guard !leg.isOver else { return }
                log.event("conference party cut", ["number": leg.route.dialled, "max-duration": "\(seconds)"])
                leg.call?.hangup()
            }
        }
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
        controls.connected()
    }

    private func joinPrompts() -> [Prompt] {
        let language = environment.context["language"]?.text ?? "en"
        do {
            return [try services.prompts.prompt(named: "being-connected", language: language)]
        } catch {
            log.problem("prompt unavailable", ["prompt": "being-connected", "reason": "\(error)"])
            return []
        }
    }

    /// Our prompts go to the A leg only; the others keep hearing each other (and A).
    private func speak(_ speech: InCallControlsRunner.Speech, _ prompts: [Prompt]) {
        guard phase == .running, let conference else { return }
        switch speech {
        case .warning: conference.play(prompts, to: aLeg, token: Self.tokenBase + 2)
        case .balance: conference.play(prompts, to: aLeg, token: Self.tokenBase + 3)
        }
    }

    // MARK: - Legs ending

    private func callEnded(_ leg: Leg, _ ending: OutboundCallEnding) {
        let outcome = controls.controls.outcome(of: ending.outcome, failedLocally: leg.failedLocally)
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
        leg.cut?.cancel()
        leg.cut = nil
        roster.ended(leg.index, outcome: outcome)
        leg.call?.onAnswer = nil
        leg.call?.onEnd = nil
        leg.call?.onProgress = nil
        leg.call?.onMediaChanged = nil
        if let media = leg.media {
            leg.media = nil
            _ = media.close()
        }
        // Every party that was tried leaves its own leg record (one CDR per leg).
        legBilling(leg)?.outboundLegEnded(environment.record(
            callID: leg.call?.callID ?? "", route: leg.route, dialled: leg.route.dialled, callerID: leg.callerID,
            startedAt: leg.startedAt, answeredAt: leg.answeredAt, outcome: outcome, sipStatus: sipStatus))
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
        case .controls(.key), .aLegGone: outcome = .ended
        case .controls(.limit): outcome = controls.controls.limitOutcome
        case .nobodyLeft: outcome = roster.outcome
        }
        // Over first: a hangup may report its leg's end at once, which must not count
        // as a party leaving a conference that goes on.
        finishConference(outcome, reason: nil)
        for leg in legs where !leg.isOver {
            leg.call?.hangup()   // legs still opening their media see the phase and stop there
        }
    }

    /// Closes the mix (the A leg goes back to its own playback), then reports `outcome`
    /// to the A leg's call, never while it is still carrying out an action.
    private func finishConference(_ outcome: DialOutcome, reason: String?) {
        guard phase != .over else { return }
        phase = .over
        controls.stop()
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
        case .controls(.key): return "key"
        case .controls(.limit): return "limit"
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
