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
/// session to the A leg on answer, and reports how it ended once (`finish`), in the
/// `dial` verb's outcomes. The in-call keys and the time limit are `InCallControls`.
///
/// Every attempt leaves a leg record: the forward's own (the winner, or the last attempt
/// when nothing answered) goes to the plan's billing, the others are recorded unbilled.
///
/// Confined to the SIP event loop (the endpoint's): `start`, `digit`, `aLegEnded` are
/// called there, and every callback hops back there.
final class DialSession: @unchecked Sendable {
    /// Why we ended the B leg ourselves, apart from the controls' reasons.
    private enum LocalEnd {
        /// An in-call key or the time limit (the controls know which).
        case controls
        /// The A leg hung up: nobody is left to tell.
        case aLegGone
        /// The answer was unusable (no or bad SDP, the bridge failed): outcome `failed`.
        case failure
    }

    private enum Phase { case idle, opening, calling, bridged, over }

    /// The winner's pieces once bridged (or the last attempt's when nothing answered).
    private struct BLeg {
        var call: OutboundCall?
        var route: TrunkSelector.Route
        var callerID: String
        var startedAt: Date
        var media: MediaSession?
        var offer: SessionDescription?
        /// Who pays for it: the grant its attempt was placed under (nil: unbilled).
        var billing: (any OutboundLegBilling)?
    }

    let request: DialRequest
    private let environment: DialEnvironment
    private var finish: ((DialOutcome) -> Void)?
    var onConnected: (() -> Void)?

    private var phase = Phase.idle
    private var localEnd: LocalEnd?
    private var bLeg: BLeg?
    /// Rings the forward's targets until one answers (its winner becomes `bLeg`).
    private var dialer: ForkingDialer?
    /// Attempts that ended before the dialer's result: which one is the forward's own is
    /// known only then.
    private var endedAttempts: [ForkingDialer.EndedAttempt] = []
    private var bridge: MediaBridge?
    private var controls: InCallControlsRunner!
    /// The dial's own grant (`plan.billing`, for the number dialled) was handed to an
    /// attempt, which now closes it with its record.
    private var planBillingUsed = false
    private var startedAt = Date()
    private var answeredAt: Date?
    /// Tokens of prompts played to the A leg while bridged, apart from the script's.
    private static let tokenBase: UInt64 = 1 << 62

    init(request: DialRequest, environment: DialEnvironment, finish: @escaping (DialOutcome) -> Void) {
        self.request = request
        self.environment = environment
        self.finish = finish
        controls = InCallControlsRunner(
            controls: InCallControls(request: request, billedSeconds: nil, context: environment.context),
            environment: environment, loop: environment.loop,
            speak: { [unowned self] speech, prompts in speak(speech, prompts) },
            end: { [unowned self] _ in endBLeg(.controls) })
    }

    private var loop: any EventLoop { environment.loop }
    private var log: CallLogger { environment.log }
    private var plan: DialPlan { environment.plan }

    // MARK: - What the A leg's call does

    func start() {
        loop.preconditionInEventLoop()
        guard phase == .idle else { return }
        startedAt = Date()
        guard request.to.count == 1, let number = request.to.first else {
            // Several numbers make a conference (ConferenceSession), never dialled from here.
            return fail("dial to \(request.to.count) numbers (a conference) is not supported here")
        }
        phase = .opening
        let session = LoopWeakReference(self)
        plan.forwardPlan(for: number, answerOn: loop) { forward, settings in
            session.value?.placeBLeg(number, forward: forward, settings: settings)
        }
    }

    /// A digit from the A leg (RFC 4733, SIP INFO or in-band).
    func digit(_ digit: Character) {
        loop.preconditionInEventLoop()
        guard phase == .calling || phase == .bridged else { return }
        controls.digit(digit)
    }

    /// The A leg is gone (BYE, or the server ended it): end the B leg, report nothing.
    func aLegEnded() {
        loop.preconditionInEventLoop()
        finish = nil
        endBLeg(.aLegGone)
    }

    // MARK: - Placing the B leg

    /// Rings the forward's groups (`ForkingDialer`); its winner is bridged in `answered`.
    private func placeBLeg(_ number: String, forward: ForwardPlan, settings: ForwardPlan.Settings?) {
        guard phase == .opening else { return }
        guard localEnd == nil else { return report(.ended, sipStatus: nil) }
        let context = environment.context
        let rule = plan.callerIDRules[context["campaign"]?.text ?? ""] ?? CallerIDRule()
        let scriptCallerID = request.callerID
        let presented = { (route: TrunkSelector.Route) in
            rule.presented(scriptCallerID: scriptCallerID, aLegCaller: context.caller, trunkCallerID: route.callerID)
        }
        var fields = ["to": number, "groups": "\(forward.groups.count)",
                      "forward-mode": settings.map { $0.mode.rawValue } ?? "-"]
        if let first = forward.firstRoute(dialled: number, trunks: plan.trunks) {
            fields["trunk"] = first.trunk
            fields["request-uri"] = first.requestURI.description
            fields["caller-id"] = presented(first)
        } else if forward.groups.first?.targets.first != nil {
            fields["trunk"] = "-"
            fields["request-uri"] = "-"
            fields["caller-id"] = ""
        }
        log.event("dial", fields)
        let dialer = ForkingDialer(
            plan: forward, dialled: number, aLeg: environment.aLeg, launcher: environment.launcher, log: log,
            trunks: plan.trunks, ringTimeoutSeconds: max(1, request.ringTimeoutSeconds), callerID: presented,
            onResult: { result in self.placed(result) })
        dialer.onAttemptEnded = { attempt in self.attemptEnded(attempt) }
        dialer.admit = { route, callerID, decided in self.admit(route, callerID: callerID, decided) }
        self.dialer = dialer
        phase = .calling
        dialer.start()
    }

    /// Who pays for an attempt, decided before it is placed. A user's own phones cost
    /// nothing; the number dialled is billed by the dial's grant; any other number (a
    /// dialled user's forward number) is rated and reserved at that number, and not
    /// placed when it cannot be.
    private func admit(_ route: TrunkSelector.Route, callerID: String,
                       _ decided: @escaping (ForkingDialer.Admission) -> Void) {
        if route.trunk == ForwardPlan.registeredTrunk { return decided(.place(billing: nil)) }
        if let billing = plan.billing {
            guard !planBillingUsed else {
                return decided(.refuse(.failed, reason: "the dial's reservation is already in use by another leg"))
            }
            planBillingUsed = true
            return decided(.place(billing: billing))
        }
        guard let grants = plan.legGrants else { return decided(.place(billing: nil)) }
        let bound = NIOLoopBound(decided, eventLoop: loop)
        let loop = self.loop
        grants.grant(number: route.dialled, callerID: callerID, limitSeconds: request.maxDurationSeconds,
                     ringTimeoutSeconds: request.ringTimeoutSeconds) { grant in
            loop.execute {
                switch grant {
                case .unbilled: bound.value(.place(billing: nil))
                case .granted(let billing): bound.value(.place(billing: billing))
                case let .refused(outcome, reason): bound.value(.refuse(outcome, reason: reason))
                }
            }
        }
    }

    /// An attempt that did not win: recorded unbilled at once after the result, else kept
    /// until the result says whether it is the forward's own.
    private func attemptEnded(_ attempt: ForkingDialer.EndedAttempt) {
        if dialer != nil {
            endedAttempts.append(attempt)
        } else {
            recordUnbilled(attempt)
        }
    }

    /// A losing attempt's record: to its own grant (which releases the money) or unbilled.
    private func recordUnbilled(_ attempt: ForkingDialer.EndedAttempt) {
        guard let recorder = attempt.billing ?? environment.unbilledLegs else { return }
        let outcome = controlsOutcome(attempt.ending, failedLocally: false)
        recorder.outboundLegEnded(environment.record(
            callID: attempt.call?.callID ?? "", route: attempt.route, dialled: attempt.route.dialled,
            callerID: attempt.callerID, startedAt: attempt.startedAt, answeredAt: nil, outcome: outcome,
            sipStatus: attempt.ending.status))
    }

    /// The dialer's one result: the winner (now this dial's `bLeg`) is bridged; or
    /// nothing answered, and the last attempt tells how it ended.
    private func placed(_ result: ForkingDialer.Result) {
        dialer = nil
        let lastID: Int?
        switch result {
        case .answered(let winner):
            lastID = nil
            bLeg = BLeg(call: winner.call, route: winner.route, callerID: winner.callerID, startedAt: startedAt,
                        media: winner.media, offer: winner.offer, billing: winner.billing)
            // The time limit is what the winner's reservation pays for.
            controls.billed(seconds: winner.billing?.maxDurationSeconds)
            // The call keeps this session alive until it ends (the A leg may be gone by then:
            // the B leg still needs its media closed and its billing record); `report` lets go.
            winner.call.onEnd = { ending in self.ended(ending) }
            winner.call.onMediaChanged = { remote in self.bLegMediaChanged(remote) }
            answered(winner.answer)
        case .unanswered(let ending, let last):
            lastID = last?.id
            if let last {
                bLeg = BLeg(call: last.call, route: last.route, callerID: last.callerID, startedAt: startedAt,
                            billing: last.billing)
            }
            if let refusal = last?.refusal {
                // The billing refused the last target: the dial says why (out-of-credit...).
                log.event("dial ended", ["outcome": refusal.rawValue, "b-outcome": "not-placed"])
                report(refusal, sipStatus: nil)
            } else {
                ended(ending)
            }
        }
        for attempt in endedAttempts where attempt.id != lastID { recordUnbilled(attempt) }
        endedAttempts.removeAll()
    }

    private func answered(_ answer: OutboundCallAnswer) {
        guard phase == .calling, let bLeg, let media = bLeg.media, let offer = bLeg.offer, let call = bLeg.call else { return }
        let answerTime = Date()
        answeredAt = answerTime
        // Billed from the 2xx, whatever becomes of the media.
        bLeg.billing?.outboundLegAnswered(at: answerTime)
        let aLeg = environment.aLeg
        let started = OutboundLegMedia.start(media, answer: answer, offer: offer).map { [log] negotiated in
            log.event("dial answered", ["b-call-id": call.callID, "codec": "\(negotiated.codec)",
                                        "remote": "\(negotiated.remoteAddress):\(negotiated.remotePort)"])
        }
        started.flatMap { MediaBridge.connect(aLeg, media) }.hop(to: loop).whenComplete { [self] result in
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
                controls.connected()
            case .failure(let error):
                log.problem("bridge failed", ["reason": "\(error)"])
                endBLeg(.failure)
            }
        }
    }

    /// The B leg's re-INVITE moved its media (RFC 3264 §8): send there from now on.
    private func bLegMediaChanged(_ remote: SessionDescription) {
        guard phase == .calling || phase == .bridged, let media = bLeg?.media, let offer = bLeg?.offer else { return }
        OutboundLegMedia.follow(media, remote: remote, offer: offer, log: log, callID: bLeg?.call?.callID ?? "")
    }

    /// Our prompts go to the A leg only: the warning over the B leg's audio, the balance
    /// over silence (B hears nothing meanwhile).
    private func speak(_ speech: InCallControlsRunner.Speech, _ prompts: [Prompt]) {
        guard phase == .bridged, let bridge else { return }
        switch speech {
        case .warning: bridge.play(prompts, to: .a, token: Self.tokenBase, otherLegHears: .audio)
        case .balance: bridge.play(prompts, to: .a, token: Self.tokenBase + 1)
        }
    }

    // MARK: - Ending

    /// Ends the B leg from our side: CANCEL before the answer, BYE after it.
    private func endBLeg(_ why: LocalEnd) {
        if localEnd == nil || why == .failure { localEnd = why }
        switch phase {
        case .idle, .over:
            return
        case .opening:
            // placeBLeg sees localEnd and places nothing.
            if why == .aLegGone { phase = .over }
        case .calling, .bridged:
            // Still ringing: the dialer cancels every attempt and reports once they ended.
            if let dialer { dialer.abandon() } else { bLeg?.call?.hangup() }
        }
    }

    private func controlsOutcome(_ ending: OutboundCallEnding, failedLocally: Bool) -> DialOutcome {
        controls.controls.outcome(of: ending.outcome, failedLocally: failedLocally)
    }

    private func ended(_ ending: OutboundCallEnding) {
        guard phase != .over else { return }
        let outcome = controlsOutcome(ending, failedLocally: localEnd == .failure)
        log.event("dial ended", ["outcome": outcome.rawValue, "b-outcome": ending.outcome.rawValue,
                                 "status": ending.status.map(String.init) ?? "-",
                                 "by": ending.hungUpBy?.rawValue ?? (localEnd == nil ? "remote" : "local")])
        report(outcome, sipStatus: ending.status)
    }

    private func fail(_ reason: String) {
        log.problem("dial failed", ["reason": reason])
        report(.failed, sipStatus: nil)
    }

    private func report(_ outcome: DialOutcome, sipStatus: Int?) {
        guard phase != .over else { return }
        phase = .over
        controls.stop()
        let bridge = self.bridge
        let media = bLeg?.media
        self.bridge = nil
        bLeg?.media = nil
        bLeg?.call?.onAnswer = nil
        bLeg?.call?.onEnd = nil
        bLeg?.call?.onProgress = nil
        bLeg?.call?.onMediaChanged = nil
        // The A leg is back on its own playback once unbridged; only then may the script play to it.
        let unbridged = bridge?.unbridge() ?? loop.makeSucceededVoidFuture()
        if let media { unbridged.whenComplete { _ in _ = media.close() } }
        // Every dial that reached this point is reported, even one that never found a
        // route: a billed forward's leg was opened before it was placed.
        let unusedGrant = planBillingUsed ? nil : plan.billing
        if let billing = bLeg?.billing ?? unusedGrant ?? (bLeg?.call != nil ? environment.unbilledLegs : nil) {
            billing.outboundLegEnded(environment.record(
                callID: bLeg?.call?.callID ?? "", route: bLeg?.route, dialled: request.to.first ?? "",
                callerID: bLeg?.callerID ?? "", startedAt: startedAt, answeredAt: answeredAt, outcome: outcome,
                sipStatus: sipStatus))
        }
        // Never call back into the A leg's call while it is still carrying out an action.
        unbridged.hop(to: loop).whenComplete { [self] _ in
            let finish = self.finish
            self.finish = nil
            finish?(outcome)
        }
    }
}
