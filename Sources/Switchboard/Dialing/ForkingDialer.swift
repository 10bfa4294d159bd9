import Foundation
import IVR
import Media
import NIOCore
import SIP
import SIPStack

/// Places the B leg of a forward by a `ForwardPlan`: every target of a group rings at
/// once, each on its own media session with its own `OutboundCall`; the first 2xx wins and
/// every other attempt is abandoned (CANCEL while it rings, BYE if its 2xx crossed ours,
/// RFC 3261 §9.1 and §15); when a whole group ends unanswered the next group rings. It
/// reports once: the winner, answered and still unbridged, or how the last group ended.
///
/// While nothing has answered, the A leg hears the B side ringing: the early media of the
/// first attempt that sends SDP in a provisional response (183 Session Progress, RFC 3960
/// "gateway model") is bridged to it; until then, or without any, a locally made ring-back
/// tone plays once an attempt rings (180). Both stop before the winner is handed over.
///
/// Confined to the SIP event loop (the endpoint's); every callback hops back there.
final class ForkingDialer: @unchecked Sendable {
    /// The attempt that answered, handed over with its pieces: the caller bridges it.
    struct Winner {
        var call: OutboundCall
        var media: MediaSession
        var offer: SessionDescription
        var answer: OutboundCallAnswer
        var route: TrunkSelector.Route
        var callerID: String
        /// Who pays for it (`admit` decided), nil: unbilled.
        var billing: (any OutboundLegBilling)?
    }

    /// Whether an attempt may be placed, decided before it is (`admit`).
    enum Admission {
        /// Place it, billed through `billing` (nil: nobody pays for it).
        case place(billing: (any OutboundLegBilling)?)
        /// Do not place it: it could not be rated or reserved.
        case refuse(DialOutcome, reason: String)
    }

    /// An attempt that ended without being the winner: what its leg record needs.
    struct EndedAttempt {
        /// Tells attempts apart (a result's `last` names one of them).
        var id: Int
        var call: OutboundCall?
        var route: TrunkSelector.Route
        var callerID: String
        var startedAt: Date
        var ending: OutboundCallEnding
        var billing: (any OutboundLegBilling)?
        /// Why it was not placed, when the billing refused it.
        var refusal: DialOutcome?
    }

    enum Result {
        case answered(Winner)
        /// Every group ended unanswered (or the dialer was abandoned): the last group's
        /// outcome, and the final status and pieces of its last attempt (nil when no
        /// attempt could even be placed).
        case unanswered(OutboundCallEnding, last: EndedAttempt?)
    }

    /// One target being rung. Confined to the SIP loop like the dialer (futures' callbacks
    /// that touch it hop there first).
    private final class Attempt: @unchecked Sendable {
        let id: Int
        let target: ForwardPlan.Target
        let startedAt = Date()
        var route: TrunkSelector.Route?
        var callerID = ""
        var media: MediaSession?
        var offer: SessionDescription?
        var call: OutboundCall?
        var ending: OutboundCallEnding?
        /// The bridge of its early media to the A leg, while it lasts.
        var earlyBridge: MediaBridge?
        var billing: (any OutboundLegBilling)?
        var refusal: DialOutcome?

        init(id: Int, target: ForwardPlan.Target) {
            self.id = id
            self.target = target
        }

        /// The attempt as its leg record sees it, once it was routed and ended.
        var ended: EndedAttempt? {
            guard let route, let ending else { return nil }
            return EndedAttempt(id: id, call: call, route: route, callerID: callerID, startedAt: startedAt, ending: ending,
                                billing: billing, refusal: refusal)
        }

        var isOver: Bool { ending != nil }
    }

    private let plan: ForwardPlan
    private let dialled: String
    /// The leg that hears the ringing (ring-back, early media); nil when nothing waits on
    /// the line (a callback's first leg).
    private let aLeg: MediaSession?
    private let launcher: OutboundLegLauncher
    private let log: CallLogger
    private let trunks: TrunkSelector
    private let ringTimeoutSeconds: Int
    private let callerID: (TrunkSelector.Route) -> String
    private let sessionID = UInt64.random(in: 1...UInt64(Int64.max))
    private var onResult: ((Result) -> Void)?
    /// Every attempt that was placed and ended without winning, as it ends (each gets its
    /// own leg record: one CDR per leg tried). Stays set after the result, for losers
    /// whose CANCEL is answered later.
    var onAttemptEnded: ((EndedAttempt) -> Void)?
    /// Decides, before each attempt is placed, whether it may be and who pays for it (a
    /// route and its presented caller ID in; the decision back on the SIP loop). Nil:
    /// every attempt is placed unbilled.
    var admit: ((TrunkSelector.Route, String, @escaping (Admission) -> Void) -> Void)?
    private var attemptCount = 0

    private var groupIndex = -1
    private var attempts: [Attempt] = []
    private var winner: Attempt?
    private var abandoned = false
    private var ringbackPlaying = false
    private var earlyAttempt: Attempt?
    private var lastEnded: Attempt?
    /// Token of the ring-back playback on the A leg (the A leg's call ignores tokens not its own).
    private static let ringbackToken: UInt64 = (1 << 62) + 16

    /// - Parameters:
    ///   - dialled: the number the script dialled (the `dialled` of registered-contact routes).
    ///   - callerID: the presented caller ID for a route (`CallerIDRule`).
    init(plan: ForwardPlan, dialled: String, aLeg: MediaSession?, launcher: OutboundLegLauncher, log: CallLogger,
         trunks: TrunkSelector, ringTimeoutSeconds: Int, callerID: @escaping (TrunkSelector.Route) -> String,
         onResult: @escaping (Result) -> Void) {
        self.plan = plan
        self.dialled = dialled
        self.aLeg = aLeg
        self.launcher = launcher
        self.log = log
        self.trunks = trunks
        self.ringTimeoutSeconds = ringTimeoutSeconds
        self.callerID = callerID
        self.onResult = onResult
    }

    private var loop: any EventLoop { launcher.endpoint.eventLoop }

    /// Rings the first group.
    func start() {
        loop.preconditionInEventLoop()
        guard groupIndex < 0 else { return }
        nextGroup()
    }

    /// Gives up on every attempt (the A leg hung up, an in-call key ended the forward):
    /// CANCEL what rings, BYE what answered; the result (`cancelled`) comes once all ended.
    /// Does nothing once the winner was handed over.
    func abandon() {
        loop.preconditionInEventLoop()
        guard !abandoned, onResult != nil else { return }
        abandoned = true
        stopRingback()
        for attempt in attempts where !attempt.isOver {
            attempt.call?.hangup()
        }
        finishIfAllOver()
    }

    // MARK: - Groups

    private func nextGroup() {
        groupIndex += 1
        let group = plan.groups[groupIndex]
        attempts = group.targets.map { target in
            attemptCount += 1
            return Attempt(id: attemptCount, target: target)
        }
        let ringSeconds = group.ringSeconds.map { min($0, ringTimeoutSeconds) } ?? ringTimeoutSeconds
        log.event("forward group", ["group": "\(groupIndex + 1)/\(plan.groups.count)", "ring-seconds": "\(ringSeconds)",
                                    "targets": group.targets.map(Self.describe).joined(separator: " ")])
        for attempt in attempts {
            do {
                attempt.route = try route(for: attempt.target)
            } catch {
                log.problem("forward target unreachable", ["target": Self.describe(attempt.target), "reason": "\(error)"])
                attempt.ending = OutboundCallEnding(outcome: .failed, status: nil, reason: "\(error)")
                continue
            }
            attempt.callerID = callerID(attempt.route!)
            admitThenLaunch(attempt, ringSeconds: ringSeconds)
        }
        finishIfAllOver()
    }

    private func admitThenLaunch(_ attempt: Attempt, ringSeconds: Int) {
        guard let admit, let route = attempt.route else { return launch(attempt, ringSeconds: ringSeconds) }
        admit(route, attempt.callerID) { [self] admission in
            switch admission {
            case .place(let billing):
                attempt.billing = billing
                launch(attempt, ringSeconds: ringSeconds)
            case let .refuse(outcome, reason):
                log.event("forward target refused", ["target": Self.describe(attempt.target), "outcome": outcome.rawValue,
                                                     "reason": reason])
                attempt.refusal = outcome
                attempt.ending = OutboundCallEnding(outcome: .failed, status: nil, reason: "not placed: \(reason)")
                attemptOver(attempt)
            }
        }
    }

    private func launch(_ attempt: Attempt, ringSeconds: Int) {
        guard let route = attempt.route else { return }
        launcher.launch(route, callerID: attempt.callerID, ringTimeout: .seconds(Int64(max(1, ringSeconds))),
                        mediaLoop: aLeg?.eventLoop, sessionID: sessionID).whenComplete { [self] result in
            switch result {
            case .success(let leg):
                launched(leg, for: attempt)
            case .failure(let error):
                log.problem("no media port for a B leg", ["reason": "\(error)"])
                attempt.ending = OutboundCallEnding(outcome: .failed, status: nil, reason: "no media port: \(error)")
                attemptOver(attempt)
            }
        }
    }

    private func route(for target: ForwardPlan.Target) throws -> TrunkSelector.Route {
        try ForwardPlan.route(for: target, dialled: dialled, trunks: trunks)
    }

    private static func describe(_ target: ForwardPlan.Target) -> String {
        switch target {
        case .contact(let binding): return binding.contact.description
        case .number(let number): return number
        }
    }

    // MARK: - One attempt

    private func launched(_ leg: OutboundLegLauncher.Leg, for attempt: Attempt) {
        guard winner == nil, !abandoned, let route = attempt.route else {
            _ = leg.media.close()
            attempt.ending = OutboundCallEnding(outcome: .cancelled, status: nil, reason: "not placed: the forward is decided")
            attemptOver(attempt)
            return
        }
        attempt.media = leg.media
        attempt.offer = leg.offer
        let call = leg.call
        attempt.call = call
        // The call holds the dialer until it ends (a loser still needs its media closed
        // after the winner was handed over); `attemptOver` lets go.
        call.onProgress = { progress in self.progress(progress, of: attempt) }
        call.onAnswer = { answer in self.answered(answer, by: attempt) }
        call.onEnd = { ending in
            attempt.ending = ending
            self.attemptOver(attempt)
        }
        call.start()
        log.event("dialing", ["b-call-id": call.callID, "trunk": route.trunk, "request-uri": route.requestURI.description,
                              "destination": route.destination.description, "caller-id": attempt.callerID])
    }

    private func progress(_ progress: OutboundCallProgress, of attempt: Attempt) {
        log.event("dial progress", ["status": "\(progress.status)", "early-media": progress.earlyMedia == nil ? "no" : "yes",
                                    "b-call-id": attempt.call?.callID ?? ""])
        guard winner == nil, !abandoned else { return }
        guard let aLeg else { return }
        if let early = progress.earlyMedia, earlyAttempt == nil, let media = attempt.media, let offer = attempt.offer {
            relayEarlyMedia(early, of: attempt, media: media, offer: offer, to: aLeg)
        } else if earlyAttempt == nil {
            startRingback()
        }
    }

    /// The 183's SDP is the answer to our offer for the early session (RFC 3264 §4,
    /// RFC 3960 §3): start the attempt's media towards it and bridge it to the A leg.
    private func relayEarlyMedia(_ early: SessionDescription, of attempt: Attempt, media: MediaSession, offer: SessionDescription,
                                 to aLeg: MediaSession) {
        let answer = OutboundCallAnswer(response: SIPResponse(statusCode: 183, reasonPhrase: "Session Progress"), remoteSDP: early)
        earlyAttempt = attempt
        stopRingback()
        OutboundLegMedia.start(media, answer: answer, offer: offer)
            .flatMap { _ in MediaBridge.connect(aLeg, media) }
            .hop(to: loop).whenComplete { [self] result in
                switch result {
                case .success(let bridge):
                    guard earlyAttempt === attempt, winner == nil, !abandoned, !attempt.isOver else {
                        _ = bridge.unbridge()
                        return
                    }
                    attempt.earlyBridge = bridge
                    log.event("early media", ["b-call-id": attempt.call?.callID ?? ""])
                case .failure(let error):
                    log.problem("early media unusable", ["reason": "\(error)"])
                    if earlyAttempt === attempt { earlyAttempt = nil }
                    startRingback()
                }
            }
    }

    private func answered(_ answer: OutboundCallAnswer, by attempt: Attempt) {
        guard winner == nil, !abandoned else {
            // A 2xx after another answered (or after we gave up): ACKed, now BYE (§15).
            attempt.call?.hangup()
            return
        }
        winner = attempt
        log.event("forward answered", ["b-call-id": attempt.call?.callID ?? "", "trunk": attempt.route?.trunk ?? ""])
        for other in attempts where other !== attempt && !other.isOver {
            if let call = other.call {
                log.event("forward loser cancelled", ["b-call-id": call.callID])
                call.hangup()
            }
        }
        stopRingback()
        // The early bridge (whoever's) lets go of the A leg before the winner is bridged to it.
        let early = attempts.compactMap(\.earlyBridge)
        for other in attempts { other.earlyBridge = nil }
        earlyAttempt = nil
        let unbridged = EventLoopFuture.andAllComplete(early.map { $0.unbridge() }, on: loop)
        unbridged.whenComplete { [self] _ in handOver(attempt, answer: answer) }
    }

    private func handOver(_ attempt: Attempt, answer: OutboundCallAnswer) {
        guard let onResult else { return }
        guard let call = attempt.call, let media = attempt.media, let offer = attempt.offer, let route = attempt.route,
              !attempt.isOver, !abandoned else {
            // It hung up (or we were abandoned) before it could be bridged: nothing is left
            // to connect; the result is `cancelled` once the losers are gone too.
            if let media = attempt.media {
                attempt.media = nil
                _ = media.close()
            }
            winner = nil
            abandoned = true
            lastEnded = attempt
            finishIfAllOver()
            return
        }
        self.onResult = nil
        call.onAnswer = nil
        call.onProgress = nil
        call.onEnd = nil
        attempts.removeAll { $0 === attempt }
        onResult(.answered(Winner(call: call, media: media, offer: offer, answer: answer, route: route,
                                  callerID: attempt.callerID, billing: attempt.billing)))
    }

    // MARK: - Endings

    private func attemptOver(_ attempt: Attempt) {
        lastEnded = attempt
        // A leg that was placed, or that money was set aside for, gets its record.
        if attempt.call != nil || attempt.billing != nil, let ended = attempt.ended { onAttemptEnded?(ended) }
        attempt.call?.onProgress = nil
        attempt.call?.onAnswer = nil
        attempt.call?.onEnd = nil
        if let bridge = attempt.earlyBridge {
            attempt.earlyBridge = nil
            _ = bridge.unbridge()
        }
        if earlyAttempt === attempt {
            earlyAttempt = nil
            // Someone else may still be ringing: back to our own tone.
            if winner == nil, !abandoned, attempts.contains(where: { !$0.isOver && $0.call != nil }) { startRingback() }
        }
        if attempt !== winner, let media = attempt.media {
            attempt.media = nil
            _ = media.close()
        }
        finishIfAllOver()
    }

    /// Once every attempt of the group ended unanswered: the next group, or the result.
    private func finishIfAllOver() {
        guard winner == nil, onResult != nil, attempts.allSatisfy(\.isOver) else { return }
        let outcomes = attempts.compactMap { $0.ending?.outcome }
        let outcome = abandoned ? .cancelled : ForwardPlan.unansweredOutcome(outcomes)
        log.event("forward group ended", ["group": "\(groupIndex + 1)", "outcome": outcome.rawValue])
        if !abandoned, groupIndex + 1 < plan.groups.count {
            nextGroup()
            return
        }
        stopRingback()
        let last = lastEnded ?? attempts.last
        let status = last?.ending?.status
        let ending = OutboundCallEnding(outcome: outcome, status: status, hungUpBy: last?.ending?.hungUpBy,
                                        reason: last?.ending?.reason ?? "no target could be placed")
        let onResult = self.onResult
        self.onResult = nil
        onResult?(.unanswered(ending, last: last.flatMap { attempt in
            attempt.route.map { EndedAttempt(id: attempt.id, call: attempt.call, route: $0, callerID: attempt.callerID,
                                             startedAt: attempt.startedAt, ending: attempt.ending ?? ending,
                                             billing: attempt.billing, refusal: attempt.refusal) }
        }))
    }

    // MARK: - Ring-back

    private func startRingback() {
        guard !ringbackPlaying, let aLeg else { return }
        ringbackPlaying = true
        log.event("ringback", ["to": "a-leg"])
        aLeg.play(RingbackTone.prompts(covering: ringTimeoutSeconds * max(1, plan.groups.count)), token: Self.ringbackToken)
    }

    private func stopRingback() {
        guard ringbackPlaying else { return }
        ringbackPlaying = false
        aLeg?.stopPlayback()
    }
}
