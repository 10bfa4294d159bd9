import Foundation
import IVR
import Logging
import Media
import NIOCore
import SIP
import SIPStack

/// One caller on an access number, running a script: the SIP dialog, the media
/// session and the interpreter meet here and nowhere else.
///
/// Confined to the SIP event loop. Media callbacks hop here; media commands hop to the
/// session's own loop. The interpreter decides; this class only carries out its actions.
final class InboundCall: @unchecked Sendable {
    enum State: Equatable {
        case offering, answered, running, ended
    }

    private(set) var state: State = .offering
    /// Where the leg came from: an INVITE to an access number, or a callback we placed.
    let origin: CallLegOrigin
    /// The caller's INVITE; nil on a callback leg (`origin` is `.callback`), whose dialog
    /// belongs to its `OutboundCall`.
    let invite: ServerTransaction!
    let localTag = SIPEndpoint.makeTag()
    private(set) var dialog: SIPDialog?
    private var media: MediaSession?
    private var interpreter: Interpreter
    private var timers: [TimerID: Scheduled<Void>] = [:]
    private var playback: PlaybackID?
    private let log: CallLogger
    private let services: CallServices
    private unowned let router: CallRouter
    private let accessNumber: String
    private let ringMilliseconds: Int
    private var ringTimer: Scheduled<Void>?
    private var offerlessInvite = false
    private var localSDPVersion: UInt64 = 1
    private let sessionID = UInt64.random(in: 1...UInt64(Int64.max))
    private let receivedAt = Date()
    private let campaign: String
    /// The scripts a `goto`/`callback` may continue in.
    private let library: ScriptLibrary
    /// Charges the access leg once a script binds an account whose plan says so.
    private var billing: CallBilling?
    /// The forward in progress (`dial`: a bridge or a conference), which owns the A leg's digits meanwhile.
    private var dial: (any ForwardSession)?

    init(invite: ServerTransaction, entry: ScriptCatalog.Entry, router: CallRouter, services: CallServices) {
        self.invite = invite
        self.origin = .inbound(invite)
        self.library = entry.library
        self.router = router
        self.services = services
        self.accessNumber = entry.accessNumber
        self.ringMilliseconds = entry.ringMilliseconds
        self.campaign = entry.campaign
        let caller = invite.request.from?.uri.user ?? ""
        var context = CallContext(caller: caller, dnis: entry.accessNumber)
        context.variables["campaign"] = .string(entry.campaign)
        // What the router learnt before answering (a digest-authenticated login, free access).
        for (name, value) in entry.callVariables { context.variables[name] = value }
        interpreter = Interpreter(script: entry.script, context: context, promptCatalog: services.promptCatalog,
                                  library: entry.library)
        log = CallLogger(base: services.logger, callID: invite.request.callID ?? "?")
        log.event("call received", [
            "from": invite.request.from?.uri.description ?? "", "to": entry.accessNumber, "campaign": entry.campaign,
            "script": entry.script.name.value, "via": invite.flow.description,
        ])
    }

    /// A callback's A leg, already answered (`OutboundScriptedCall` placed it): the script
    /// runs on it as on an inbound call once `startAnswered` is called.
    init(callback leg: CallbackLegStart, campaign: String, router: CallRouter, services: CallServices) {
        self.invite = nil
        self.origin = .callback(leg.call, leg.events)
        self.library = leg.library
        self.router = router
        self.services = services
        self.accessNumber = leg.ratedNumber
        self.ringMilliseconds = 0
        self.campaign = campaign
        var context = CallContext(caller: leg.caller, dnis: leg.dnis)
        context.variables["campaign"] = .string(campaign)
        if let account = leg.account { context.variables["account"] = .record(account) }
        for (name, value) in leg.variables { context.variables[name] = value }   // caller trust (issue 11)
        interpreter = Interpreter(script: leg.script, context: context, promptCatalog: services.promptCatalog,
                                  library: leg.library)
        log = CallLogger(base: services.logger, callID: leg.call.callID)
        log.event("callback answered", [
            "to": leg.caller, "dnis": leg.dnis, "campaign": campaign, "script": leg.script.name.value,
            "node": leg.node ?? leg.script.start.value,
        ])
    }

    /// The Call-ID of this leg's dialog, for logs and the B legs' records.
    var callID: String {
        switch origin {
        case .inbound(let invite): return invite.request.callID ?? ""
        case .callback(let call, _): return call.callID
        }
    }

    private var loop: any EventLoop { router.endpoint.eventLoop }

    // MARK: - Answering

    /// A callback leg: the user answered our INVITE and the media session has the
    /// negotiated audio. The script starts at once (there is no ACK to wait for: we sent
    /// it), at the node the request named or the script's start.
    func startAnswered(_ leg: CallbackLegStart) {
        guard state == .offering else { return }
        media = leg.media
        startMedia(leg.negotiated)
        state = .answered
        startBilling(answeredAt: Date())
        if let login = leg.account?["login"]?.text, let billing {
            // The trigger authenticated the account: it pays for this leg from the answer.
            Task { await billing.accountAuthenticated(login: login) }
        }
        state = .running
        perform(leg.node.map { interpreter.start(at: $0) } ?? interpreter.start())
    }

    /// Opens the media session, negotiates SDP and answers 200.
    func start() {
        let offer: SessionDescription?
        if invite.request.body.isEmpty {
            offer = nil
            offerlessInvite = true
        } else if invite.request.contentType != "application/sdp" {
            fail(status: 415, reason: "only application/sdp bodies are accepted", extra: [("Accept", "application/sdp")])
            return
        } else {
            do {
                offer = try SessionDescription(parsing: String(decoding: invite.request.body, as: UTF8.self))
            } catch {
                fail(status: 400, reason: "bad SDP: \(error)")
                return
            }
        }
        guard ringMilliseconds > 0 else {
            openMedia(offer: offer)
            return
        }
        invite.respond(status: 180, toTag: localTag)
        log.event("ringing", ["for-ms": "\(ringMilliseconds)"])
        ringTimer = loop.scheduleTask(in: .milliseconds(Int64(ringMilliseconds))) { [weak self] in
            self?.openMedia(offer: offer)
        }
    }

    private func openMedia(offer: SessionDescription?) {
        guard state == .offering, !invite.isCancelled else { return }
        services.mediaEngine.openSession(on: services.nextMediaLoop()).hop(to: loop).whenComplete { result in
            switch result {
            case .success(let session):
                self.mediaOpened(session, offer: offer)
            case .failure(let error):
                self.fail(status: 503, reason: "no media port: \(error)")
            }
        }
    }

    private func mediaOpened(_ session: MediaSession, offer: SessionDescription?) {
        guard state == .offering, !invite.isCancelled else {
            _ = session.close()
            return
        }
        media = session
        let address = services.mediaAddress
        let sdp: SessionDescription
        if let offer {
            do {
                let (answer, negotiated) = try SDPOfferAnswer.answer(
                    to: offer, localAddress: address, localPort: session.localPort,
                    sessionID: sessionID, sessionVersion: localSDPVersion)
                startMedia(negotiated)
                sdp = answer
            } catch {
                fail(status: 488, reason: "\(error)")
                return
            }
        } else {
            sdp = SDPOfferAnswer.offer(localAddress: address, localPort: session.localPort,
                                       sessionID: sessionID, sessionVersion: localSDPVersion)
        }
        guard let dialog = SIPDialog(uasFor: invite.request, localTag: localTag) else {
            fail(status: 400, reason: "INVITE lacks From tag or Contact")
            return
        }
        self.dialog = dialog
        router.register(self, dialog: dialog.id)
        state = .answered
        invite.respond(answer(invite, with: sdp))
        log.event("answered", ["rtp-port": "\(session.localPort)"])
        startBilling(answeredAt: Date())
    }

    /// A 200 carrying our SDP, for the INVITE or a re-INVITE of this dialog.
    private func answer(_ transaction: ServerTransaction, with sdp: SessionDescription) -> SIPResponse {
        var ok = SIPResponse(replyingTo: transaction.request, statusCode: 200, toTag: localTag)
        ok.headers.add("Contact", "<\(router.contactURI(for: transaction.flow.transport))>")
        ok.headers.add("Allow", CallRouter.allowedMethods)
        ok.headers.add("Content-Type", "application/sdp")
        ok.body = Array(sdp.description.utf8)
        return ok
    }

    private func startMedia(_ negotiated: NegotiatedAudio) {
        guard let media else { return }
        let law: G711Law = negotiated.codec == .pcma ? .alaw : .ulaw
        guard let remote = try? SocketAddress(ipAddress: negotiated.remoteAddress, port: negotiated.remotePort) else {
            log.problem("unusable media address", ["address": negotiated.remoteAddress, "port": "\(negotiated.remotePort)"])
            return
        }
        let callLoop = loop
        let call = LoopWeakReference(self)
        media.eventLoop.execute {
            media.onDigit = { digit, source in
                callLoop.execute { call.value?.digit(digit, source: source) }
            }
            media.onPlaybackFinished = { token in
                callLoop.execute { call.value?.playbackFinished(token) }
            }
            media.start(remote: remote, law: law, payloadType: negotiated.payloadType,
                        telephoneEventPayloadType: negotiated.telephoneEventPayloadType)
        }
        log.event("media", ["codec": "\(negotiated.codec)", "remote": "\(negotiated.remoteAddress):\(negotiated.remotePort)",
                            "telephone-event": negotiated.telephoneEventPayloadType.map { "\($0)" } ?? "none"])
    }

    private func fail(status: Int, reason: String, extra: [(String, String)] = []) {
        log.problem("call refused", ["status": "\(status)", "reason": reason])
        if !invite.isAnswered {
            invite.respond(status: status, reason: SIPEndpoint.reasonPhrase(status, reason), toTag: localTag, headers: extra)
        }
        teardown()
    }

    // MARK: - SIP events

    func ackReceived(_ ack: SIPRequest) {
        guard state == .answered else { return }
        if offerlessInvite {
            guard let body = String(bytes: ack.body, encoding: .utf8), let answer = try? SessionDescription(parsing: body),
                  let dialog else {
                hangup(cause: .scriptFailure, reason: "ACK carried no usable SDP answer")
                return
            }
            let offer = SDPOfferAnswer.offer(localAddress: services.mediaAddress, localPort: media?.localPort ?? 0,
                                             sessionID: sessionID, sessionVersion: localSDPVersion)
            do {
                startMedia(try SDPOfferAnswer.accept(answer: answer, to: offer))
            } catch {
                _ = dialog
                hangup(cause: .scriptFailure, reason: "SDP answer in ACK: \(error)")
                return
            }
        }
        state = .running
        perform(interpreter.start())
    }

    /// BYE from the caller.
    func remoteHangup(_ bye: ServerTransaction) {
        bye.respond(status: 200)
        callerHungUp()
    }

    /// The far end ended the leg: a BYE (on a callback leg, answered by its `OutboundCall`).
    func callerHungUp() {
        guard state != .ended else { return }
        log.event("hangup", ["by": "caller", "cause": "normal"])
        if state == .running { perform(interpreter.handle(.hangup)) }
        teardown()
    }

    /// CANCEL before we answered: 487 to the INVITE (§9.2).
    func cancelled() {
        log.event("hangup", ["by": "caller", "cause": "cancelled"])
        if !invite.isAnswered { invite.respond(status: 487, toTag: localTag) }
        teardown()
    }

    /// Our 2xx was never acknowledged.
    func answerTimedOut() {
        guard state == .answered else { return }
        hangup(cause: .unavailable, reason: "no ACK for 200 OK")
    }

    /// re-INVITE (hold, media change): answer with our current SDP, follow their address.
    func reinvite(_ transaction: ServerTransaction) {
        guard var dialog, dialog.acceptRemoteSequence(of: transaction.request), let media else {
            transaction.respond(status: 500, reason: "Server Internal Error", headers: [("Retry-After", "1")])
            return
        }
        self.dialog = dialog
        var negotiatedAnswer: SessionDescription
        localSDPVersion += 1
        if let text = String(bytes: transaction.request.body, encoding: .utf8), !transaction.request.body.isEmpty {
            do {
                let offer = try SessionDescription(parsing: text)
                let (answer, negotiated) = try SDPOfferAnswer.answer(
                    to: offer, localAddress: services.mediaAddress, localPort: media.localPort,
                    sessionID: sessionID, sessionVersion: localSDPVersion)
                startMedia(negotiated)
                negotiatedAnswer = answer
            } catch {
                transaction.respond(status: 488, reason: SIPEndpoint.reasonPhrase(488, "\(error)"))
                return
            }
        } else {
            negotiatedAnswer = SDPOfferAnswer.offer(localAddress: services.mediaAddress, localPort: media.localPort,
                                                    sessionID: sessionID, sessionVersion: localSDPVersion)
        }
        transaction.respond(answer(transaction, with: negotiatedAnswer))
        log.event("re-invite", [:])
    }

    /// INFO with application/dtmf-relay or application/dtmf.
    func info(_ transaction: ServerTransaction) {
        let request = transaction.request
        guard let type = request.contentType else {
            transaction.respond(status: 200)   // an empty INFO is a keep-alive probe
            return
        }
        guard type == "application/dtmf-relay" || type == "application/dtmf" else {
            transaction.respond(status: 415, headers: [("Accept", "application/dtmf-relay, application/dtmf")])
            return
        }
        guard let digit = DTMFRelayBody.digit(fromBody: String(decoding: request.body, as: UTF8.self), contentType: type) else {
            transaction.respond(status: 400, reason: "Bad Request (no DTMF signal in body)")
            return
        }
        transaction.respond(status: 200)
        self.digit(digit, source: .sipInfo)
    }

    // MARK: - Media events

    private func digit(_ digit: Character, source: DTMFSource) {
        guard state == .running else { return }
        log.event("dtmf", ["digit": String(digit), "via": Self.label(source)])
        if let dial {
            dial.digit(digit)
            return
        }
        perform(interpreter.handle(.digit(digit)))
    }

    private static func label(_ source: DTMFSource) -> String {
        switch source {
        case .rfc4733: return "rfc4733"
        case .sipInfo: return "sip-info"
        case .inband: return "inband"
        }
    }

    private func playbackFinished(_ token: UInt64) {
        guard state == .running, let current = playback, UInt64(current.rawValue) == token else { return }
        playback = nil
        log.event("prompt finished", ["playback": "\(token)"])
        perform(interpreter.handle(.promptFinished(current)))
    }

    // MARK: - Carrying out the interpreter's actions

    private func perform(_ actions: [IVRAction]) {
        var pending = actions[...]
        while let action = pending.popFirst() {
            guard state == .running else { return }
            switch action {
            case .play(let id, let prompts, _):
                play(id, prompts)
            case .stopPlayback:
                playback = nil
                if let media { media.eventLoop.execute { media.stopPlayback() } }
            case .startTimer(let id, let milliseconds):
                timers[id]?.cancel()
                timers[id] = loop.scheduleTask(in: .milliseconds(Int64(milliseconds))) { [weak self] in
                    guard let self, self.state == .running else { return }
                    self.timers[id] = nil
                    self.perform(self.interpreter.handle(.timerFired(id)))
                }
            case .cancelTimer(let id):
                timers.removeValue(forKey: id)?.cancel()
            case .request(let id, .scheduleCallback(let callback)) where isCallbackLeg:
                continueCallback(id, callback)
            case .request(let id, .dial(let request)) where router.dialPlan != nil:
                if case .callback(_, let events) = origin { events.report(.callingB) }
                startDial(id, request)
            case .request(let id, let request):
                // Services (accounts, money, calls) answer asynchronously, off this loop;
                // the answer comes back here as an event.
                let call = LoopWeakReference(self)
                let context = interpreter.context
                let services = self.services
                let loop = self.loop
                let billing = self.billing
                Task {
                    let result = await services.answer(request, context: context, billing: billing)
                    loop.execute { call.value?.serviceAnswered(id, result) }
                }
            case .hangup(let cause):
                hangup(cause: cause, reason: nil)
            case .trace(let trace):
                log.trace(trace)
            }
        }
    }

    private func serviceAnswered(_ id: ServiceRequestID, _ result: ServiceResult) {
        guard state == .running else { return }
        if case .dialEnded = result, case .callback(_, let events) = origin { events.report(.bLegEnded) }
        perform(interpreter.handle(.serviceResult(id, result)))
    }

    private var isCallbackLeg: Bool {
        if case .callback = origin { return true }
        return false
    }

    /// A `callback` verb reached on a callback leg: the user is already on the leg it
    /// would place, so its request is fulfilled by going on at its target now (the
    /// callback scripts' trigger nodes thus run only on trigger calls, never twice).
    private func continueCallback(_ id: ServiceRequestID, _ callback: IVR.CallbackRequest) {
        let name = callback.script ?? interpreter.script.name.value
        guard let script = callback.script == nil ? interpreter.script : library.script(named: name) else {
            serviceAnswered(id, .failed(reason: "callback: no script \(name)"))
            return
        }
        log.event("callback continues", ["script": name, "node": callback.node ?? script.start.value])
        interpreter = Interpreter(script: script, context: interpreter.context, promptCatalog: services.promptCatalog,
                                  library: library)
        perform(callback.node.map { interpreter.start(at: $0) } ?? interpreter.start())
    }

    private func play(_ id: PlaybackID, _ refs: [PromptRef]) {
        var prompts: [Prompt] = []
        for ref in refs {
            do {
                prompts.append(try services.prompts.prompt(named: ref.name, language: ref.language))
            } catch {
                log.problem("prompt unavailable", ["prompt": ref.description, "reason": "\(error)"])
            }
        }
        playback = id
        log.event("prompt started", ["playback": "\(id.rawValue)", "prompts": refs.map(\.description).joined(separator: " ")])
        guard let media, !prompts.isEmpty else {
            // Nothing playable: finish at once so the script moves on rather than hangs.
            loop.execute { self.playbackFinished(UInt64(id.rawValue)) }
            return
        }
        let token = UInt64(id.rawValue)
        let playlist = prompts
        media.eventLoop.execute { media.play(playlist, token: token) }
    }

    /// We end the call: BYE within the dialog.
    private func hangup(cause: HangupCause, reason: String?) {
        guard state != .ended else { return }
        var fields = ["by": "server", "cause": cause.rawValue, "q850": "\(cause.q850)"]
        if let reason { fields["reason"] = reason }
        log.event("hangup", fields)
        if case .callback(let call, _) = origin {
            call.onEnd = nil   // our own BYE is not the far end's hang-up
            call.hangup()      // BYE in the dialog of the call we placed
        } else if var dialog {
            var bye = dialog.makeRequest(.bye)
            bye.headers.add("Reason", "Q.850;cause=\(cause.q850)")
            self.dialog = dialog
            let destination = router.destination(for: dialog, flow: invite.flow)
            router.endpoint.sendRequest(bye, to: destination, flow: invite.flow) { [log] event in
                if case .timeout = event { log.problem("BYE not answered", [:]) }
            }
        }
        teardown()
    }

    /// The access leg is billable from its answer; who pays is known once a script authenticates.
    private func startBilling(answeredAt: Date) {
        let call = LoopWeakReference(self)
        let loop = self.loop
        billing = services.billing(
            for: CallBilling.Call(caller: interpreter.context.caller, accessNumber: accessNumber, campaign: campaign,
                                  startedAt: receivedAt, answeredAt: answeredAt),
            log: log,
            cut: { reason in loop.execute { call.value?.hangup(cause: .normal, reason: reason) } })
    }

    // MARK: - Dial (Dialing/DialSession.swift does the work)

    /// A `dial` to one number is billed before it is placed: the call's `CallBilling`
    /// reserves for the forward (jointly with a billed access leg) and opens its B leg, or
    /// refuses (`out-of-credit`, or `failed` for a destination the plan lacks). Calls with
    /// no account bound, and conferences, are placed unbilled.
    private func startDial(_ id: ServiceRequestID, _ request: DialRequest) {
        guard let billing, request.to.count == 1, let number = request.to.first else {
            return placeDial(id, request, legBilling: nil)
        }
        let call = LoopWeakReference(self)
        let loop = self.loop
        let callerID = request.callerID ?? interpreter.context.caller
        Task {
            let grant = await billing.forwardWillDial(number: number, callerID: callerID, limitSeconds: request.maxDurationSeconds,
                                                      ringTimeoutSeconds: request.ringTimeoutSeconds)
            loop.execute { call.value?.forwardGranted(id, request, grant, billing: billing) }
        }
    }

    private func forwardGranted(_ id: ServiceRequestID, _ request: DialRequest, _ grant: CallBilling.ForwardGrant,
                                billing: CallBilling) {
        // A call that ended meanwhile: its settlement closed the granted leg too.
        guard state == .running else { return }
        switch grant {
        case .unbilled:
            placeDial(id, request, legBilling: nil)
        case let .granted(legID, seconds):
            placeDial(id, request, legBilling: ForwardLegBilling(billing: billing, legID: legID, maxDurationSeconds: seconds))
        case let .refused(outcome, reason):
            log.event("dial refused", ["outcome": outcome.rawValue, "reason": reason])
            serviceAnswered(id, .dialEnded(outcome))
        }
    }

    /// Places the dial, its plan carrying the forward's billing when it is billed.
    private func placeDial(_ id: ServiceRequestID, _ request: DialRequest, legBilling: (any OutboundLegBilling)?) {
        guard let media, var plan = router.dialPlan else {
            serviceAnswered(id, .dialEnded(.failed))
            return
        }
        if let legBilling { plan.billing = legBilling }
        let call = LoopWeakReference(self)
        let services = self.services
        let billing = self.billing
        if request.to.count > 1 {
            // Several numbers: a conference (Dialing/ConferenceSession.swift).
            let conference = ConferenceSession(
                request: request, aLeg: media, plan: plan, endpoint: router.endpoint, registry: router.outboundCalls,
                services: services, log: log, context: interpreter.context, aLegCallID: callID,
                maximumParticipants: plan.maxParticipants,
                balance: { context in await services.answer(.balance, context: context, billing: billing) },
                finish: { outcome in call.value?.dialEnded(id, outcome) })
            begin(conference)
            return
        }
        let session = DialSession(
            request: request, aLeg: media, plan: plan, endpoint: router.endpoint, registry: router.outboundCalls,
            services: services, log: log, context: interpreter.context, aLegCallID: callID,
            balance: { context in await services.answer(.balance, context: context, billing: billing) },
            finish: { outcome in call.value?.dialEnded(id, outcome) })
        begin(session)
    }

    private func begin(_ session: any ForwardSession) {
        if case .callback(_, let events) = origin { session.onConnected = { events.report(.connected) } }
        dial = session
        session.start()
    }

    private func dialEnded(_ id: ServiceRequestID, _ outcome: DialOutcome) {
        dial = nil
        serviceAnswered(id, .dialEnded(outcome))
    }

    private func teardown() {
        guard state != .ended else { return }
        state = .ended
        if let billing {
            // Before the forward hangs up: a B leg still up is settled with this leg, once.
            billing.callEnding()
            let endedAt = Date()
            Task { await billing.callEnded(at: endedAt) }
        }
        dial?.aLegEnded()
        dial = nil
        ringTimer?.cancel()
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
        if let media {
            media.eventLoop.execute {
                media.onDigit = nil
                media.onPlaybackFinished = nil
                _ = media.close()
            }
        }
        media = nil
        switch origin {
        case .inbound: router.remove(self)
        case .callback(let call, let events):
            call.onEnd = nil
            call.onRequest = nil
            events.report(.ended)
        }
    }
}
