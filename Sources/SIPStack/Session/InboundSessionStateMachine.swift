import SIP

/// The UAS side of one INVITE session (RFC 3261 §13.3, §14.2, §15, §9.2; RFC 3264) as a
/// value: events in, actions out. No sockets, no clock, no randomness: the driver
/// (`InboundSession`) opens the media port when asked, answers the transactions, sends
/// BYE and arms the ring timer; tests drive it directly. The mirror of
/// `OutboundCallStateMachine`.
///
/// - An INVITE with SDP gets our answer in the 200; one without SDP gets our offer in
///   the 200 and the answer must come in the ACK (§13.2.1, RFC 3264 §4).
/// - A `ring` time sends 180 first and answers when it ran out (what the caller hears
///   before an access number picks up).
/// - Media is started (RTP sent) only once the ACK arrived: before it, the offer's address
///   is not yet confirmed to be the caller's.
/// - CANCEL before our 200 ends the session with 487 (§9.2); after it, CANCEL is moot.
/// - A 2xx never acknowledged (Timer H / 64·T1, reported by the transaction layer) ends
///   the session with a BYE (§13.3.1.4).
/// - re-INVITE (hold, new address) is answered with our session again, version + 1
///   (RFC 3264 §8); a re-INVITE before the ACK gets 500 with Retry-After (§14.2).
/// - INFO carrying DTMF (`DTMFRelayBody`) reports the key; an empty INFO is a keep-alive.
/// - BYE ends the session in any state it can arrive in; in the early dialog the INVITE
///   is answered 487 too (§15.1.2).
public struct InboundSessionStateMachine: Sendable {
    public struct Configuration: Sendable {
        /// How long to ring (180) before answering; zero answers at once.
        public var ring: Duration
        /// The `o=` session id of our SDP (the driver draws it at random).
        public var sessionID: UInt64

        public init(ring: Duration = .zero, sessionID: UInt64) {
            self.ring = ring
            self.sessionID = sessionID
        }
    }

    public enum State: Sendable, Hashable {
        /// No INVITE yet.
        case idle
        /// 180 sent; the ring timer runs.
        case ringing
        /// The driver opens the media port for our SDP.
        case openingMedia
        /// 200 sent; waiting for the ACK.
        case awaitingACK
        /// ACK received: the call is up.
        case confirmed
        case ended
    }

    public enum Timer: Sendable, Hashable, CaseIterable {
        /// The access number's ring time before answering.
        case ring
    }

    /// Why the session ended.
    public enum Ending: Sendable, Hashable {
        /// The caller sent BYE.
        case remoteHangup
        /// The caller cancelled before the answer (or hung up in the early dialog).
        case cancelled
        /// We hung up (BYE sent, or the INVITE refused with `status`).
        case localHangup(status: Int)
        /// Our 200 was never acknowledged.
        case noACK
        /// The INVITE could not be answered: `status` went out.
        case refused(status: Int, reason: String)
        /// The ACK's SDP answer to our offer was missing or unusable.
        case badAnswerInACK(reason: String)
    }

    public enum Event: Sendable, Hashable {
        /// The initial INVITE (out of dialog).
        case invite(SIPRequest)
        case timerFired(Timer)
        /// The media port is open at this address (what our SDP announces).
        case mediaOpened(address: String, port: Int)
        case mediaFailed(reason: String)
        /// The ACK for our 200.
        case ack(SIPRequest)
        /// A CANCEL matched the INVITE (the endpoint answered the CANCEL itself).
        case cancel
        /// The transaction layer gave up waiting for the ACK of our 2xx.
        case ackTimedOut
        /// A re-INVITE in the dialog (CSeq already checked by the driver).
        case reinvite(SIPRequest)
        case info(SIPRequest)
        case bye
        /// End the session: refuse the INVITE with `status` before the answer, BYE after it
        /// (with a Q.850 `cause` in the Reason header, RFC 3326).
        case hangupRequested(status: Int, q850: Int)
    }

    /// A response the driver builds (To tag, Contact, Allow are the driver's).
    public struct Response: Sendable, Hashable {
        public var status: Int
        public var reason: String?
        public var sdp: SessionDescription?
        public var headers: [SIPHeaderField]

        public init(status: Int, reason: String? = nil, sdp: SessionDescription? = nil, headers: [SIPHeaderField] = []) {
            self.status = status
            self.reason = reason
            self.sdp = sdp
            self.headers = headers
        }
    }

    public enum Action: Sendable, Hashable {
        /// Respond to the initial INVITE.
        case respondToInvite(Response)
        /// Respond to the in-dialog request of the current event (re-INVITE, INFO, BYE).
        case respondToRequest(Response)
        /// Open a media port and report it with `.mediaOpened`.
        case openMedia
        /// Send BYE in the dialog, with this Q.850 cause in its Reason header.
        case sendBYE(q850: Int)
        case startTimer(Timer, Duration)
        case cancelTimer(Timer)
        /// The 200 went out: the leg is answered (billing starts); its audio, when the
        /// INVITE carried the offer (nil for an offerless INVITE).
        case reportAnswered(NegotiatedAudio?)
        /// The ACK came: send media now with this audio; the call is up.
        case reportConfirmed(NegotiatedAudio)
        /// A re-INVITE changed the audio (a new address, hold).
        case reportMediaChanged(NegotiatedAudio)
        case reportDigit(Character)
        case reportEnded(Ending)
    }

    /// Retry-After of the 503 refusing an INVITE for want of a media port.
    public static let retryAfterSeconds = 5

    public private(set) var state: State = .idle
    public let configuration: Configuration
    /// The audio agreed so far (from the INVITE's offer, or the ACK's answer).
    public private(set) var negotiated: NegotiatedAudio?
    /// Our SDP's `o=` version: + 1 for every new description we send (RFC 3264 §8).
    public private(set) var localVersion: UInt64 = 1
    private var offer: SessionDescription?
    private var ourOffer: SessionDescription?
    private var localAddress = ""
    private var localPort = 0
    /// Asked to hang up while waiting for the ACK (no BYE may go before it, §15).
    private var pendingHangupCause: Int?
    private var ringArmed = false

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .invite(let request): return invite(request)
        case .timerFired(let timer): return timerFired(timer)
        case .mediaOpened(let address, let port): return mediaOpened(address: address, port: port)
        case .mediaFailed(let reason):
            // Out of RTP ports or descriptors: a passing condition, so say when to try again (§21.5.4).
            return refuse(503, "no media port: \(reason)",
                          headers: [SIPHeaderField(name: "Retry-After", value: "\(Self.retryAfterSeconds)")])
        case .ack(let ack): return acknowledged(ack)
        case .cancel: return cancelled()
        case .ackTimedOut: return ackTimedOut()
        case .reinvite(let request): return reinvite(request)
        case .info(let request): return info(request)
        case .bye: return bye()
        case .hangupRequested(let status, let q850): return hangup(status: status, q850: q850)
        }
    }

    // MARK: - Events

    private mutating func invite(_ request: SIPRequest) -> [Action] {
        guard state == .idle else { return [] }
        // §12.1.1: our dialog needs the caller's tag and a Contact to send BYE to.
        guard request.from?.tag != nil, !request.contacts.isEmpty else {
            return refuse(400, "INVITE lacks From tag or Contact")
        }
        if !request.body.isEmpty {
            guard Self.mediaType(request.contentType) == "application/sdp" else {
                return refuse(415, "only application/sdp bodies are accepted",
                              headers: [SIPHeaderField(name: "Accept", value: "application/sdp")])
            }
            do {
                offer = try SessionDescription(parsing: String(decoding: request.body, as: UTF8.self))
            } catch {
                return refuse(400, "bad SDP: \(error)")
            }
        }
        guard configuration.ring > .zero else {
            state = .openingMedia
            return [.openMedia]
        }
        state = .ringing
        ringArmed = true
        return [.respondToInvite(Response(status: 180)), .startTimer(.ring, configuration.ring)]
    }

    private mutating func timerFired(_ timer: Timer) -> [Action] {
        guard timer == .ring, ringArmed, state == .ringing else { return [] }
        ringArmed = false
        state = .openingMedia
        return [.openMedia]
    }

    private mutating func mediaOpened(address: String, port: Int) -> [Action] {
        guard state == .openingMedia else { return [] }
        localAddress = address
        localPort = port
        let sdp: SessionDescription
        if let offer {
            do {
                let (answer, audio) = try SDPOfferAnswer.answer(to: offer, localAddress: address, localPort: port,
                                                               sessionID: configuration.sessionID, sessionVersion: localVersion)
                negotiated = audio
                sdp = answer
            } catch {
                return refuse(488, "\(error)")
            }
        } else {
            sdp = SDPOfferAnswer.offer(localAddress: address, localPort: port, sessionID: configuration.sessionID,
                                       sessionVersion: localVersion)
            ourOffer = sdp
        }
        state = .awaitingACK
        return [.respondToInvite(Response(status: 200, sdp: sdp)), .reportAnswered(negotiated)]
    }

    private mutating func acknowledged(_ ack: SIPRequest) -> [Action] {
        guard state == .awaitingACK else { return [] }
        if let ourOffer {
            // RFC 3264 §4: the offer was ours (offerless INVITE); the ACK must answer it.
            do {
                guard !ack.body.isEmpty, Self.mediaType(ack.contentType) == "application/sdp" else {
                    throw AnswerProblem.missing
                }
                let answer = try SessionDescription(parsing: String(decoding: ack.body, as: UTF8.self))
                negotiated = try SDPOfferAnswer.accept(answer: answer, to: ourOffer)
            } catch {
                state = .ended
                return [.sendBYE(q850: 41), .reportEnded(.badAnswerInACK(reason: "\(error)"))]
            }
        }
        guard let negotiated else { return [] }
        state = .confirmed
        if let cause = pendingHangupCause {
            // §15: our hang-up waited for the ACK.
            state = .ended
            return [.sendBYE(q850: cause), .reportEnded(.localHangup(status: 200))]
        }
        return [.reportConfirmed(negotiated)]
    }

    private mutating func cancelled() -> [Action] {
        switch state {
        case .idle, .ringing, .openingMedia:
            return endBeforeAnswer(.cancelled, response: Response(status: 487))
        case .awaitingACK, .confirmed, .ended:
            // §9.2: a CANCEL after the final response has no effect on the INVITE.
            return []
        }
    }

    private mutating func ackTimedOut() -> [Action] {
        guard state == .awaitingACK else { return [] }
        state = .ended
        // §13.3.1.4: the dialog is to be ended with BYE.
        return [.sendBYE(q850: pendingHangupCause ?? 3), .reportEnded(.noACK)]
    }

    private mutating func reinvite(_ request: SIPRequest) -> [Action] {
        guard state == .confirmed else {
            // §14.2: the first INVITE is not done yet (or the session is over).
            return [.respondToRequest(Response(status: state == .ended ? 481 : 500,
                                               headers: state == .ended ? [] : [SIPHeaderField(name: "Retry-After", value: "1")]))]
        }
        localVersion += 1
        guard !request.body.isEmpty else {
            // An offerless re-INVITE: our session again as the offer (its answer comes in the ACK,
            // which changes nothing we need).
            let sdp = SDPOfferAnswer.offer(localAddress: localAddress, localPort: localPort,
                                           sessionID: configuration.sessionID, sessionVersion: localVersion)
            return [.respondToRequest(Response(status: 200, sdp: sdp))]
        }
        do {
            guard Self.mediaType(request.contentType) == "application/sdp" else { throw AnswerProblem.notSDP }
            let offer = try SessionDescription(parsing: String(decoding: request.body, as: UTF8.self))
            let (answer, audio) = try SDPOfferAnswer.answer(to: offer, localAddress: localAddress, localPort: localPort,
                                                           sessionID: configuration.sessionID, sessionVersion: localVersion)
            negotiated = audio
            return [.respondToRequest(Response(status: 200, sdp: answer)), .reportMediaChanged(audio)]
        } catch {
            localVersion -= 1
            return [.respondToRequest(Response(status: 488, reason: "Not Acceptable Here (\(error))"))]
        }
    }

    private mutating func info(_ request: SIPRequest) -> [Action] {
        guard state == .awaitingACK || state == .confirmed else {
            return [.respondToRequest(Response(status: 481))]
        }
        let (response, digit) = Self.dtmfInfo(request)
        return [.respondToRequest(response)] + (digit.map { [.reportDigit($0)] } ?? [])
    }

    /// The answer to an INFO in a call, and the key it carries: 200 for an empty INFO (a
    /// keep-alive probe), 415 for bodies that are not DTMF, 400 for a DTMF body naming no
    /// key. Shared with the legs we place, whose INFO the same way carries keys.
    public static func dtmfInfo(_ request: SIPRequest) -> (Response, Character?) {
        guard let type = request.contentType else { return (Response(status: 200), nil) }
        let mediaType = Self.mediaType(type)
        guard mediaType == "application/dtmf-relay" || mediaType == "application/dtmf" else {
            return (Response(status: 415, headers: [
                SIPHeaderField(name: "Accept", value: "application/dtmf-relay, application/dtmf"),
            ]), nil)
        }
        guard let digit = DTMFRelayBody.digit(fromBody: String(decoding: request.body, as: UTF8.self), contentType: type) else {
            return (Response(status: 400, reason: "Bad Request (no DTMF signal in body)"), nil)
        }
        return (Response(status: 200), digit)
    }

    private mutating func bye() -> [Action] {
        switch state {
        case .idle, .ended:
            return [.respondToRequest(Response(status: 481))]
        case .ringing, .openingMedia:
            // §15.1.2: a BYE in the early dialog also ends the INVITE (487).
            return [.respondToRequest(Response(status: 200))]
                + endBeforeAnswer(.cancelled, response: Response(status: 487))
        case .awaitingACK, .confirmed:
            state = .ended
            return [.respondToRequest(Response(status: 200)), .reportEnded(.remoteHangup)]
        }
    }

    private mutating func hangup(status: Int, q850: Int) -> [Action] {
        switch state {
        case .idle, .ringing, .openingMedia:
            return endBeforeAnswer(.localHangup(status: status), response: Response(status: status))
        case .awaitingACK:
            // §15: the callee may not send BYE before the ACK (or its time-out).
            pendingHangupCause = pendingHangupCause ?? q850
            return []
        case .confirmed:
            state = .ended
            return [.sendBYE(q850: q850), .reportEnded(.localHangup(status: 200))]
        case .ended:
            return []
        }
    }

    // MARK: - Steps

    private mutating func refuse(_ status: Int, _ reason: String, headers: [SIPHeaderField] = []) -> [Action] {
        guard state != .ended, state != .awaitingACK, state != .confirmed else { return [] }
        return endBeforeAnswer(.refused(status: status, reason: reason),
                               response: Response(status: status, reason: SIPEndpoint.reasonPhrase(status, reason), headers: headers))
    }

    private mutating func endBeforeAnswer(_ ending: Ending, response: Response) -> [Action] {
        var actions: [Action] = []
        if ringArmed {
            ringArmed = false
            actions.append(.cancelTimer(.ring))
        }
        state = .ended
        return actions + [.respondToInvite(response), .reportEnded(ending)]
    }

    /// The media type of a Content-Type, lowercased, without parameters.
    static func mediaType(_ contentType: String?) -> String {
        (contentType ?? "").split(separator: ";", maxSplits: 1).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
    }

    private enum AnswerProblem: Error, CustomStringConvertible {
        case missing, notSDP

        var description: String {
            switch self {
            case .missing: return "the ACK carried no SDP answer to our offer"
            case .notSDP: return "the body is not application/sdp"
            }
        }
    }
}
