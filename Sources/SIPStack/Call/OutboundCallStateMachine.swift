import SIP

/// The UAC side of one INVITE session (RFC 3261 §13.2, §9.1, §15, §22.2) as a value:
/// events in, actions out. No sockets, no clock, no randomness: the driver
/// (`OutboundCall`) turns actions into requests through the endpoint's transactions and
/// arms the timers; tests drive it directly.
///
/// - A CANCEL goes out only once a provisional response arrived (§9.1); asked for
///   earlier, it waits for one, and the INVITE may still end by itself meanwhile.
/// - Every 2xx is ACKed, retransmissions included (§13.2.2.4). A 2xx that races our
///   CANCEL, or comes from a second fork, is ACKed and then ended with a BYE (§15).
/// - A 401/407 is answered once with Digest credentials; a second challenge means the
///   credentials were refused, and the call fails (§22.2, §22.3).
/// - Outcomes follow the table of `OutboundCallOutcome`.
public struct OutboundCallStateMachine: Sendable {
    public struct Configuration: Sendable {
        /// How long the destination may ring before we CANCEL (outcome no-answer).
        public var ringTimeout: Duration
        /// §9.1: how long an INVITE may take to end after our CANCEL (64·T1).
        public var cancelGuard: Duration
        /// Credentials for a 401/407 from this destination, if it asks.
        public var login: DigestLogin?
        /// The INVITE's Request-URI as written: the `uri` of the Digest response.
        public var requestURI: String
        /// Client nonce for qop=auth (the driver draws it at random).
        public var cnonce: String

        public init(ringTimeout: Duration, cancelGuard: Duration = .seconds(32), login: DigestLogin? = nil,
                    requestURI: String, cnonce: String) {
            self.ringTimeout = ringTimeout
            self.cancelGuard = cancelGuard
            self.login = login
            self.requestURI = requestURI
            self.cnonce = cnonce
        }
    }

    public enum State: Sendable, Hashable {
        /// Not started.
        case idle
        /// INVITE sent, no provisional response yet.
        case calling
        /// A provisional response arrived: ringing, maybe early media.
        case proceeding
        /// We want to cancel but no provisional arrived yet, so no CANCEL may go (§9.1).
        case cancelPending
        /// CANCEL sent; waiting for the INVITE's final response.
        case cancelling
        /// Answered and ACKed: the dialog is up.
        case confirmed
        /// Over; only retransmitted 2xx still get their ACK.
        case ended
    }

    public enum Event: Sendable, Hashable {
        case start
        /// 1xx to the INVITE (100 included: it too allows a CANCEL).
        case provisional(SIPResponse)
        /// 2xx to the INVITE, first or retransmitted, from any fork.
        case success(SIPResponse)
        /// 3xx–6xx to the INVITE.
        case failure(SIPResponse)
        case timerFired(OutboundCallTimer)
        /// Abandon the attempt: CANCEL before the answer, BYE after it (outcome cancelled).
        case cancelRequested
        /// End the call: CANCEL before the answer (cancelled), BYE after it (ended).
        case hangupRequested
        /// The remote party sent BYE in the dialog (the driver answers it).
        case byeReceived
        /// The INVITE transaction gave up: Timer B, or the transport failed.
        case inviteTimedOut
        /// The remote party sent a re-INVITE in the dialog (§14.2), with or without an offer.
        case reinviteReceived(ReinviteOffer)

        /// The event for any response to the INVITE, by its class.
        public static func response(_ response: SIPResponse) -> Event {
            switch response.statusCode {
            case ..<200: return .provisional(response)
            case 200...299: return .success(response)
            default: return .failure(response)
            }
        }
    }

    /// What a re-INVITE from the remote party carried (RFC 3264 §8).
    public enum ReinviteOffer: Sendable, Hashable {
        /// No body: we offer in the 200, the answer comes in the ACK.
        case none
        /// An SDP offer that parses.
        case offer(SessionDescription)
        /// A body that is not a usable SDP offer.
        case malformed(String)
    }

    public enum Action: Sendable, Hashable {
        /// Send the INVITE: the first (nil), or again with credentials and CSeq + 1.
        case sendInvite(InviteAuthorization?)
        /// Send CANCEL for the INVITE in progress (§9.1).
        case sendCancel
        /// Send the ACK for this 2xx (§13.2.2.4), building its dialog if new.
        case sendACK(SIPResponse)
        /// Send BYE in the dialog whose remote tag this is.
        case sendBYE(remoteTag: String)
        case startTimer(OutboundCallTimer, Duration)
        case cancelTimer(OutboundCallTimer)
        case reportProgress(OutboundCallProgress)
        case reportAnswered(OutboundCallAnswer)
        case reportEnded(OutboundCallEnding)
        /// Answer the pending re-INVITE with 200 and our session (unchanged, RFC 3264 §8).
        case answerReinvite
        /// Refuse the pending re-INVITE with this status (481 outside the dialog, 488 a bad offer).
        case rejectReinvite(status: Int, reason: String)
        /// The remote party's media moved (a new address or port in its re-INVITE): the
        /// user of the call sends there from now on.
        case reportMediaChanged(SessionDescription)
    }

    public private(set) var state: State = .idle
    public let configuration: Configuration
    /// Remote tags of the dialogs a 2xx created; their retransmissions get the ACK again.
    public private(set) var acknowledgedTags: [String] = []
    /// The remote tag of the dialog that answered (the call's own), once answered.
    public private(set) var answeredTag: String?
    /// Why we are cancelling, if we are.
    public private(set) var cancelCause: OutboundCallOutcome.CancelCause?
    /// How many challenges we answered (at most one).
    public private(set) var challengesAnswered = 0
    private var earlyMedia: SessionDescription?
    /// The remote party's session as last signalled (the answer, then its re-INVITEs).
    public private(set) var remoteSession: SessionDescription?
    private var armedTimers: Set<OutboundCallTimer> = []

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    public mutating func handle(_ event: Event) -> [Action] {
        switch event {
        case .start: return start()
        case .provisional(let response): return provisional(response)
        case .success(let response): return success(response)
        case .failure(let response): return failure(response)
        case .timerFired(let timer): return timerFired(timer)
        case .cancelRequested: return cancel(cause: .requested, afterAnswer: .cancelled)
        case .hangupRequested: return cancel(cause: .requested, afterAnswer: .ended)
        case .byeReceived: return byeReceived()
        case .inviteTimedOut: return inviteTimedOut()
        case .reinviteReceived(let offer): return reinviteReceived(offer)
        }
    }

    // MARK: - Events

    private mutating func start() -> [Action] {
        guard state == .idle else { return [] }
        state = .calling
        return [.sendInvite(nil), startTimer(.ringTimeout, configuration.ringTimeout)]
    }

    private mutating func provisional(_ response: SIPResponse) -> [Action] {
        switch state {
        case .calling, .proceeding:
            state = .proceeding
            guard response.statusCode > 100 else { return [] }
            let sdp = Self.sessionDescription(in: response)
            if let sdp { earlyMedia = sdp }
            return [.reportProgress(OutboundCallProgress(status: response.statusCode, reasonPhrase: response.reasonPhrase,
                                                         earlyMedia: sdp))]
        case .cancelPending:
            // §9.1: the provisional we waited for; now the CANCEL may go.
            return sendCancel()
        case .idle, .cancelling, .confirmed, .ended:
            return []
        }
    }

    private mutating func success(_ response: SIPResponse) -> [Action] {
        let tag = response.to?.tag ?? ""
        switch state {
        case .idle:
            return []
        case .calling, .proceeding:
            state = .confirmed
            answeredTag = tag
            acknowledgedTags.append(tag)
            let remote = Self.sessionDescription(in: response) ?? earlyMedia
            remoteSession = remote
            return cancelAllTimers() + [.sendACK(response), .reportAnswered(OutboundCallAnswer(response: response, remoteSDP: remote))]
        case .cancelPending, .cancelling:
            // §9.1/§15: the answer crossed our CANCEL. The dialog exists now: ACK it,
            // then end it with BYE.
            acknowledgedTags.append(tag)
            let outcome = OutboundCallOutcome(finalStatus: response.statusCode, cancelledBy: cancelCause)
            return end(outcome: outcome, status: response.statusCode, hungUpBy: .local,
                       reason: "answered while being cancelled: ACK, then BYE",
                       before: [.sendACK(response), .sendBYE(remoteTag: tag)])
        case .confirmed, .ended:
            if acknowledgedTags.contains(tag) {
                // §13.2.2.4: a retransmitted 2xx means our ACK was lost: send it again.
                return [.sendACK(response)]
            }
            // A second fork answered (§13.2.2.4): we keep one dialog, so ACK and BYE this one.
            acknowledgedTags.append(tag)
            return [.sendACK(response), .sendBYE(remoteTag: tag)]
        }
    }

    private mutating func failure(_ response: SIPResponse) -> [Action] {
        let status = response.statusCode
        switch state {
        case .calling, .proceeding:
            if status == 401 || status == 407 { return answerChallenge(response) }
            return end(outcome: OutboundCallOutcome(finalStatus: status), status: status,
                       reason: "\(status) \(response.reasonPhrase)")
        case .cancelPending, .cancelling:
            return end(outcome: OutboundCallOutcome(finalStatus: status, cancelledBy: cancelCause), status: status,
                       reason: "\(status) \(response.reasonPhrase) after \(cancelCause == .ringTimeout ? "the ring time-out" : "cancel")")
        case .idle, .confirmed, .ended:
            return []
        }
    }

    private mutating func timerFired(_ timer: OutboundCallTimer) -> [Action] {
        guard armedTimers.remove(timer) != nil else { return [] }
        switch (timer, state) {
        case (.ringTimeout, .calling):
            cancelCause = .ringTimeout
            state = .cancelPending
            return []
        case (.ringTimeout, .proceeding):
            cancelCause = .ringTimeout
            return sendCancel()
        case (.cancelGuard, .cancelling):
            return end(outcome: OutboundCallOutcome(noFinalResponseCancelledBy: cancelCause), status: nil,
                       reason: "no final response within \(configuration.cancelGuard) of the CANCEL (§9.1)")
        default:
            return []
        }
    }

    /// `cancel()` and `hangup()`: the same before the answer; after it, BYE with the
    /// outcome the caller meant.
    private mutating func cancel(cause: OutboundCallOutcome.CancelCause, afterAnswer outcome: OutboundCallOutcome) -> [Action] {
        switch state {
        case .idle:
            return end(outcome: .cancelled, status: nil, reason: "cancelled before the INVITE was sent")
        case .calling:
            cancelCause = cancelCause ?? cause
            state = .cancelPending
            return []
        case .proceeding:
            cancelCause = cancelCause ?? cause
            return sendCancel()
        case .confirmed:
            let tag = answeredTag ?? ""
            return end(outcome: outcome, status: 200, hungUpBy: .local,
                       reason: outcome == .cancelled ? "cancelled after the answer: BYE" : "hung up: BYE",
                       before: [.sendBYE(remoteTag: tag)])
        case .cancelPending, .cancelling, .ended:
            return []
        }
    }

    private mutating func byeReceived() -> [Action] {
        guard state == .confirmed else { return [] }
        return end(outcome: .ended, status: 200, hungUpBy: .remote, reason: "the remote party hung up: BYE")
    }

    /// §14.2 and RFC 3264 §8: a re-INVITE in the confirmed dialog is answered with our
    /// session; when its offer moves the media to a new address or port, the user is told.
    /// A hold that names no address (`c=0.0.0.0`, port 0) moves nothing.
    private mutating func reinviteReceived(_ offer: ReinviteOffer) -> [Action] {
        guard state == .confirmed else {
            return [.rejectReinvite(status: 481, reason: "Call/Transaction Does Not Exist")]
        }
        switch offer {
        case .none:
            return [.answerReinvite]
        case .malformed(let reason):
            return [.rejectReinvite(status: 488, reason: "Not Acceptable Here (\(reason))")]
        case .offer(let session):
            guard let target = Self.mediaTarget(of: session) else {
                return [.rejectReinvite(status: 488, reason: "Not Acceptable Here (no audio stream)")]
            }
            let previous = remoteSession.flatMap(Self.mediaTarget(of:))
            let moved = (previous?.address != target.address || previous?.port != target.port)
                && target.address != "0.0.0.0" && target.port != 0
            remoteSession = session
            return moved ? [.answerReinvite, .reportMediaChanged(session)] : [.answerReinvite]
        }
    }

    /// Where a session's first audio stream is sent: its connection address and port.
    static func mediaTarget(of session: SessionDescription) -> (address: String, port: Int)? {
        guard let audio = session.media.first(where: { $0.media == "audio" }) else { return nil }
        return (session.effectiveConnection(of: audio)?.address ?? "", audio.port)
    }

    private mutating func inviteTimedOut() -> [Action] {
        switch state {
        case .calling, .proceeding:
            return end(outcome: .failed, status: nil,
                       reason: "no final response to the INVITE (Timer B or transport failure)")
        case .cancelPending, .cancelling:
            return end(outcome: OutboundCallOutcome(noFinalResponseCancelledBy: cancelCause), status: nil,
                       reason: "the INVITE timed out while being cancelled")
        case .idle, .confirmed, .ended:
            return []
        }
    }

    // MARK: - Steps

    /// §22.2: answer the first challenge with credentials on a new INVITE (same
    /// Call-ID and From tag, CSeq + 1); a second one means they were refused.
    private mutating func answerChallenge(_ response: SIPResponse) -> [Action] {
        let status = response.statusCode
        guard let login = configuration.login else {
            return end(outcome: .failed, status: status,
                       reason: "\(status) \(response.reasonPhrase): challenged, but no credentials are configured for this destination")
        }
        guard challengesAnswered == 0 else {
            return end(outcome: .failed, status: status,
                       reason: "\(status) \(response.reasonPhrase) again after our credentials: refused")
        }
        let proxy = status == 407
        let challengeHeader = proxy ? "Proxy-Authenticate" : "WWW-Authenticate"
        // The first Digest challenge whose algorithm we know (RFC 8760 §2.4: in the server's order).
        let challenges = response.headers.values(challengeHeader).compactMap { try? DigestChallenge(parsing: $0) }
        guard let challenge = challenges.first else {
            return end(outcome: .failed, status: status,
                       reason: "\(status) \(response.reasonPhrase) without a usable Digest challenge in \(challengeHeader)")
        }
        challengesAnswered += 1
        state = .calling
        let credentials = DigestCredentials.answering(challenge: challenge, method: "INVITE", uri: configuration.requestURI,
                                                      username: login.username, password: login.password,
                                                      cnonce: configuration.cnonce)
        return [.sendInvite(InviteAuthorization(headerName: proxy ? "Proxy-Authorization" : "Authorization",
                                                credentials: credentials))]
    }

    private mutating func sendCancel() -> [Action] {
        state = .cancelling
        return [.sendCancel, startTimer(.cancelGuard, configuration.cancelGuard)]
    }

    private mutating func end(outcome: OutboundCallOutcome, status: Int?, hungUpBy: OutboundCallEnding.Side? = nil,
                              reason: String, before: [Action] = []) -> [Action] {
        state = .ended
        return cancelAllTimers() + before
            + [.reportEnded(OutboundCallEnding(outcome: outcome, status: status, hungUpBy: hungUpBy, reason: reason))]
    }

    private mutating func startTimer(_ timer: OutboundCallTimer, _ duration: Duration) -> Action {
        armedTimers.insert(timer)
        return .startTimer(timer, duration)
    }

    private mutating func cancelAllTimers() -> [Action] {
        let armed = OutboundCallTimer.allCases.filter { armedTimers.contains($0) }
        armedTimers.removeAll()
        return armed.map { .cancelTimer($0) }
    }

    /// The SDP of a message, if it carries one that parses (RFC 3261 §13.2.1: SDP bodies
    /// are `application/sdp`).
    static func sessionDescription(in response: SIPResponse) -> SessionDescription? {
        guard !response.body.isEmpty, response.contentType == "application/sdp" else { return nil }
        return try? SessionDescription(parsing: String(decoding: response.body, as: UTF8.self))
    }
}
