import Logging
import NIOCore
import SIP

/// One call we place — the B leg towards a trunk, or a callback to a user's phone —
/// driving an `OutboundCallStateMachine` with the endpoint's transactions.
///
/// Confined to the endpoint's event loop: create it, call `start()`, `cancel()`,
/// `hangup()` and read its properties on `endpoint.eventLoop` only; callbacks arrive
/// there too. It builds the INVITE (From with our tag, To, Call-ID, CSeq, Contact,
/// Max-Forwards, the caller's SDP offer), answers one Digest challenge, CANCELs on the
/// ring time-out, ACKs every 2xx and keeps the `SIPDialog` once answered.
///
/// In-dialog requests from the far end (BYE, re-INVITE, INFO) and stray 2xx reach the
/// transaction user, not us: it passes them on through `OutboundCallRegistry`, where
/// the call files itself from `start()` until 64·T1 after its end.
public final class OutboundCall: @unchecked Sendable {
    public struct Parameters: Sendable {
        /// The Request-URI: `sip:<number>@<gateway>` for a trunk, the registered contact for a phone.
        public var requestURI: SIPURI
        /// Who we say is calling (the presented caller ID); the tag is added.
        public var from: SIPNameAddress
        /// Whom we call; defaults to the Request-URI.
        public var to: SIPNameAddress
        /// Where the INVITE goes: the trunk's gateway, or the phone's registered address.
        public var destination: SIPDestination
        /// Pins every request to a flow: a phone's TCP connection, or the UDP source its
        /// REGISTER came from (NAT). Nil: the endpoint sends to `destination`.
        public var flow: SIPFlow?
        /// Requests inside the dialog (ACK, BYE) go here instead of the dialog's next hop:
        /// for a trunk whose Contact is not reachable from us. Nil follows RFC 3261 §12.2.1.1.
        public var inDialogDestination: SIPDestination?
        /// The SDP offer of our media session (RFC 3264 §5).
        public var offer: SessionDescription
        /// Credentials for a 401/407 from the destination.
        public var login: DigestLogin?
        /// How long to let it ring before CANCEL (outcome no-answer).
        public var ringTimeout: Duration
        /// The user part of our Contact.
        public var contactUser: String
        /// More headers for the INVITE (P-Asserted-Identity, Privacy...).
        public var extraHeaders: [SIPHeaderField]
        /// A Call-ID of the caller's choosing (for logs across legs); random when nil.
        public var callID: String?

        public init(requestURI: SIPURI, from: SIPNameAddress, to: SIPNameAddress? = nil, destination: SIPDestination,
                    offer: SessionDescription, login: DigestLogin? = nil, ringTimeout: Duration = .seconds(60),
                    flow: SIPFlow? = nil, inDialogDestination: SIPDestination? = nil, contactUser: String = "switchback",
                    extraHeaders: [SIPHeaderField] = [], callID: String? = nil) {
            self.requestURI = requestURI
            self.from = from
            self.to = to ?? SIPNameAddress(uri: requestURI)
            self.destination = destination
            self.flow = flow
            self.inDialogDestination = inDialogDestination
            self.offer = offer
            self.login = login
            self.ringTimeout = ringTimeout
            self.contactUser = contactUser
            self.extraHeaders = extraHeaders
            self.callID = callID
        }
    }

    public let endpoint: SIPEndpoint
    public let parameters: Parameters
    public let callID: String
    /// Our From tag: the local tag of the dialog.
    public let localTag: String

    /// A provisional response other than 100: ringing, or early media (183 with SDP).
    public var onProgress: ((OutboundCallProgress) -> Void)?
    /// Answered (2xx, ACK sent); the remote SDP is in the answer.
    public var onAnswer: ((OutboundCallAnswer) -> Void)?
    /// The call is over, once: the outcome and the INVITE's final status.
    public var onEnd: ((OutboundCallEnding) -> Void)?
    /// In-dialog requests other than BYE (re-INVITE, INFO, OPTIONS): return true when
    /// handled (responded to). Unhandled: a re-INVITE gets our offer again (our session
    /// is unchanged, RFC 3264 §8), INFO and OPTIONS get 200, anything else 405.
    public var onRequest: ((ServerTransaction) -> Bool)?
    /// The remote party's re-INVITE moved its media to a new address or port (RFC 3264
    /// §8): its new session description. The user retargets the call's media session.
    public var onMediaChanged: ((SessionDescription) -> Void)?

    /// The dialog of the answer, once answered (RFC 3261 §12.1.2).
    public private(set) var dialog: SIPDialog?
    /// Set once, when the call ended.
    public private(set) var ending: OutboundCallEnding?
    public var state: OutboundCallStateMachine.State { machine.state }

    private var machine: OutboundCallStateMachine
    private let registry: OutboundCallRegistry?
    private let logger: Logger
    /// Dialogs by remote tag: the answered one, and any a racing or forked 2xx created.
    private var dialogs: [String: SIPDialog] = [:]
    private var inviteSequence: UInt32 = 1
    private var authorization: InviteAuthorization?
    /// The INVITE as built for the current attempt (without the endpoint's Via).
    private var currentInvite: SIPRequest?
    private weak var inviteTransaction: ClientTransaction?
    private var attempt = 0
    private var timers: [OutboundCallTimer: Scheduled<Void>] = [:]
    private var pendingEvents: [OutboundCallStateMachine.Event] = []
    /// The re-INVITE the state machine is deciding about (answered by its actions).
    private var pendingReinvite: ServerTransaction?
    private var stepping = false

    public init(endpoint: SIPEndpoint, parameters: Parameters, registry: OutboundCallRegistry? = nil) {
        self.endpoint = endpoint
        self.parameters = parameters
        self.registry = registry
        let callID = parameters.callID ?? endpoint.makeCallID()
        self.callID = callID
        localTag = SIPEndpoint.makeTag()
        machine = OutboundCallStateMachine(configuration: .init(
            ringTimeout: parameters.ringTimeout, cancelGuard: endpoint.configuration.timers.transactionTimeout,
            login: parameters.login, requestURI: parameters.requestURI.description,
            cnonce: String(UInt64.random(in: .min ... .max), radix: 16)))
        var logger = endpoint.logger
        logger[metadataKey: "call-id"] = "\(callID)"
        self.logger = logger
    }

    // MARK: - What the user of the call does

    /// Sends the INVITE and arms the ring time-out.
    public func start() {
        endpoint.eventLoop.preconditionInEventLoop()
        registry?.add(self)
        // A call pinned to a phone's connection keeps it open until it ends.
        if let flow = parameters.flow { endpoint.pinConnection(of: flow) }
        step(.start)
    }

    /// Abandons the attempt: CANCEL before the answer (sent once a provisional came,
    /// §9.1), BYE if the answer won the race. Outcome `cancelled`.
    public func cancel() {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.cancelRequested)
    }

    /// Ends the call: CANCEL before the answer (`cancelled`), BYE after it (`ended`).
    public func hangup() {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.hangupRequested)
    }

    /// Sends a request inside the answered dialog (INFO, a re-INVITE for hold...).
    /// The 2xx of a re-INVITE is ACKed here, retransmissions included (§14.1, §13.2.2.4);
    /// `handler` sees every response. False when there is no dialog (not answered, or over).
    @discardableResult
    public func sendInDialog(_ method: SIPMethod, headers extra: [SIPHeaderField] = [], body: [UInt8] = [],
                             handler: @escaping (ClientTransactionEvent) -> Void) -> Bool {
        endpoint.eventLoop.preconditionInEventLoop()
        guard machine.state == .confirmed, let tag = machine.answeredTag, var dialog = dialogs[tag] else { return false }
        var request = dialog.makeRequest(method, contact: method == .invite ? contactURI : nil)
        for field in extra { request.headers.add(field.name, field.value) }
        request.body = body
        store(dialog, tag: tag)
        let sequence = dialog.localSequence
        endpoint.sendRequest(request, to: destination(for: dialog), flow: parameters.flow) { [self] event in
            if method == .invite, case .response(let response) = event, (200...299).contains(response.statusCode),
               let dialog = dialogs[tag] {
                let ack = OutboundCallRequests.ack(in: dialog, inviteSequence: sequence, authorization: nil)
                endpoint.sendACK(ack, to: destination(for: dialog), flow: parameters.flow)
            }
            handler(event)
        }
        return true
    }

    // MARK: - What the transaction user passes on (through the registry)

    /// A request inside one of our dialogs (the To tag is ours).
    public func receive(_ request: SIPRequest, in transaction: ServerTransaction) {
        endpoint.eventLoop.preconditionInEventLoop()
        guard let tag = request.from?.tag, var dialog = dialogs[tag] else {
            transaction.respond(status: 481)
            return
        }
        // §12.2.2: a CSeq lower than the last one is out of order.
        guard dialog.acceptRemoteSequence(of: request) else {
            transaction.respond(status: 500, reason: "Server Internal Error (CSeq out of order)")
            return
        }
        store(dialog, tag: tag)
        if request.method == .bye {
            transaction.respond(status: 200)
            if tag == machine.answeredTag { step(.byeReceived) }
            return
        }
        guard machine.state == .confirmed, tag == machine.answeredTag else {
            transaction.respond(status: 481)
            return
        }
        if let onRequest, onRequest(transaction) { return }
        switch request.method {
        case .invite:
            pendingReinvite = transaction
            step(.reinviteReceived(Self.reinviteOffer(in: request)))
            pendingReinvite = nil
        case .options, .info:
            transaction.respond(status: 200)
        default:
            transaction.respond(status: 405, headers: [("Allow", OutboundCallRequests.allow)])
        }
    }

    /// A 2xx to our INVITE that matched no transaction (its transaction is over): ACK
    /// it again, or ACK and BYE an unknown dialog (§13.2.2.4). False if not ours.
    @discardableResult
    public func receiveStray(_ response: SIPResponse) -> Bool {
        endpoint.eventLoop.preconditionInEventLoop()
        guard response.cseq?.method == .invite, (200...299).contains(response.statusCode),
              response.callID == callID, response.from?.tag == localTag else { return false }
        step(.success(response))
        return true
    }

    /// What a re-INVITE's body offers (RFC 3264 §8; an SDP body is `application/sdp`).
    static func reinviteOffer(in request: SIPRequest) -> OutboundCallStateMachine.ReinviteOffer {
        guard !request.body.isEmpty else { return .none }
        guard request.contentType == "application/sdp" else {
            return .malformed("body is \(request.contentType ?? "untyped"), not application/sdp")
        }
        do {
            return .offer(try SessionDescription(parsing: String(decoding: request.body, as: UTF8.self)))
        } catch {
            return .malformed("\(error)")
        }
    }

    // MARK: - Driving the state machine

    private func step(_ event: OutboundCallStateMachine.Event) {
        // Callbacks may call back in (hangup from onAnswer): queue, never nest.
        pendingEvents.append(event)
        guard !stepping else { return }
        stepping = true
        defer { stepping = false }
        while !pendingEvents.isEmpty {
            let next = pendingEvents.removeFirst()
            for action in machine.handle(next) { perform(action) }
        }
    }

    private func perform(_ action: OutboundCallStateMachine.Action) {
        switch action {
        case .sendInvite(let authorization):
            sendInvite(authorization)
        case .sendCancel:
            guard let invite = inviteTransaction else {
                logger.debug("no INVITE transaction left to cancel")
                return
            }
            endpoint.sendCancel(for: invite) { [logger] event in
                if case .response(let response) = event, response.statusCode != 200 {
                    // 481: the INVITE already ended; its final response tells the rest.
                    logger.debug("CANCEL answered", metadata: ["status": "\(response.statusCode)"])
                }
            }
        case .sendACK(let response):
            sendACK(for: response)
        case .sendBYE(let tag):
            guard var dialog = dialogs[tag] else {
                logger.warning("no dialog to send BYE in", metadata: ["remote-tag": "\(tag)"])
                return
            }
            let bye = dialog.makeRequest(.bye)
            store(dialog, tag: tag)
            sendBYE(bye, remoteTag: tag, answeringChallenge: false)
        case .startTimer(let timer, let duration):
            timers[timer]?.cancel()
            timers[timer] = endpoint.eventLoop.scheduleTask(in: SIPEndpoint.timeAmount(duration)) { [weak self] in
                guard let self else { return }
                self.timerFired(timer)
            }
        case .cancelTimer(let timer):
            timers.removeValue(forKey: timer)?.cancel()
        case .reportProgress(let progress):
            onProgress?(progress)
        case .reportAnswered(let answer):
            logger.info("outbound call answered", metadata: ["status": "\(answer.status)"])
            onAnswer?(answer)
        case .answerReinvite:
            guard let transaction = pendingReinvite else { return }
            var response = SIPResponse(replyingTo: transaction.request, statusCode: 200, toTag: localTag)
            response.headers.add("Contact", "<\(contactURI)>")
            response.headers.add("Content-Type", "application/sdp")
            response.body = Array(parameters.offer.description.utf8)
            transaction.respond(response)
        case let .rejectReinvite(status, reason):
            pendingReinvite?.respond(status: status, reason: reason)
        case .reportMediaChanged(let session):
            logger.info("remote media moved by re-INVITE")
            onMediaChanged?(session)
        case .reportEnded(let ending):
            self.ending = ending
            for timer in timers.values { timer.cancel() }
            timers.removeAll()
            logger.info("outbound call ended", metadata: ["outcome": "\(ending.outcome.rawValue)",
                                                          "status": "\(ending.status.map(String.init) ?? "-")",
                                                          "reason": "\(ending.reason)"])
            if let flow = parameters.flow { endpoint.unpinConnection(of: flow) }
            onEnd?(ending)
            lingerThenLeaveRegistry()
        }
    }

    private func timerFired(_ timer: OutboundCallTimer) {
        timers[timer] = nil
        step(.timerFired(timer))
    }

    private func sendInvite(_ authorization: InviteAuthorization?) {
        if let authorization {
            // §22.2: the retry is a new transaction, CSeq + 1, same Call-ID and tags.
            inviteSequence += 1
            self.authorization = authorization
        }
        attempt += 1
        let invite = OutboundCallRequests.invite(
            requestURI: parameters.requestURI, from: parameters.from, to: parameters.to, localTag: localTag, callID: callID,
            sequence: inviteSequence, contact: contactURI, offer: parameters.offer,
            userAgent: endpoint.configuration.userAgent, authorization: self.authorization, extraHeaders: parameters.extraHeaders)
        currentInvite = invite
        let thisAttempt = attempt
        inviteTransaction = endpoint.sendRequest(invite, to: parameters.destination, flow: parameters.flow) { [self] event in
            inviteEvent(event, attempt: thisAttempt)
        }
    }

    private func inviteEvent(_ event: ClientTransactionEvent, attempt: Int) {
        switch event {
        case .response(let response):
            // A challenged attempt is over; only its 2xx (never expected) would still need an ACK.
            guard attempt == self.attempt || (200...299).contains(response.statusCode) else { return }
            step(.response(response))
        case .timeout:
            guard attempt == self.attempt else { return }
            step(.inviteTimedOut)
        }
    }

    private func sendACK(for response: SIPResponse) {
        let tag = response.to?.tag ?? ""
        guard let dialog = dialogs[tag] ?? currentInvite.flatMap({ SIPDialog(uacFor: $0, response: response) }) else {
            logger.warning("2xx without the headers of a dialog; cannot ACK it", metadata: ["status": "\(response.statusCode)"])
            return
        }
        store(dialog, tag: tag)
        let ack = OutboundCallRequests.ack(in: dialog, inviteSequence: response.cseq?.sequence ?? inviteSequence,
                                           authorization: authorization)
        endpoint.sendACK(ack, to: destination(for: dialog), flow: parameters.flow)
    }

    /// BYE, answering one challenge to it with our credentials (a trunk may challenge
    /// every request, §22.2).
    private func sendBYE(_ bye: SIPRequest, remoteTag: String, answeringChallenge answered: Bool) {
        guard let dialog = dialogs[remoteTag] else { return }
        endpoint.sendRequest(bye, to: destination(for: dialog), flow: parameters.flow) { [self] event in
            switch event {
            case .response(let response) where (response.statusCode == 401 || response.statusCode == 407) && !answered:
                let proxy = response.statusCode == 407
                guard let login = parameters.login, var dialog = dialogs[remoteTag],
                      let challenge = response.headers.values(proxy ? "Proxy-Authenticate" : "WWW-Authenticate")
                          .lazy.compactMap({ try? DigestChallenge(parsing: $0) }).first else {
                    logger.warning("BYE challenged and we cannot answer", metadata: ["status": "\(response.statusCode)"])
                    return
                }
                var again = dialog.makeRequest(.bye)
                store(dialog, tag: remoteTag)
                let credentials = DigestCredentials.answering(challenge: challenge, method: "BYE", uri: again.uri.description,
                                                              username: login.username, password: login.password,
                                                              cnonce: String(UInt64.random(in: .min ... .max), radix: 16))
                again.headers.add(proxy ? "Proxy-Authorization" : "Authorization", credentials.description)
                sendBYE(again, remoteTag: remoteTag, answeringChallenge: true)
            case .response(let response) where response.statusCode >= 300:
                logger.info("BYE refused", metadata: ["status": "\(response.statusCode)"])
            case .timeout:
                logger.info("BYE timed out")
            default:
                break
            }
        }
    }

    private func store(_ dialog: SIPDialog, tag: String) {
        dialogs[tag] = dialog
        if tag == machine.answeredTag { self.dialog = dialog }
    }

    private func destination(for dialog: SIPDialog) -> SIPDestination {
        parameters.inDialogDestination
            ?? OutboundCallRequests.destination(for: dialog, defaultTransport: parameters.destination.transport)
    }

    private var contactURI: SIPURI {
        let transport = parameters.flow?.transport ?? parameters.destination.transport
        let local = endpoint.advertisedAddress(for: transport)
        var uri = SIPURI(scheme: "sip", user: parameters.contactUser, host: local.host, port: local.port)
        if transport == .tcp { uri.parameters.append(SIPParameter(name: "transport", value: "tcp")) }
        return uri
    }

    /// Stays findable for stray 2xx retransmissions (and a crossing BYE) for 64·T1
    /// after the end, the time a UAS keeps retransmitting its 2xx (§13.3.1.4).
    private func lingerThenLeaveRegistry() {
        guard let registry else { return }
        _ = endpoint.eventLoop.scheduleTask(in: SIPEndpoint.timeAmount(endpoint.configuration.timers.transactionTimeout)) { [self] in
            registry.remove(self)
        }
    }
}
