import Logging
import NIOCore
import SIP

/// One INVITE we answer (the UAS side, RFC 3261 §13.3): drives an
/// `InboundSessionStateMachine` with what the endpoint hands the transaction user and
/// carries out its actions — responses through the server transactions, BYE through a
/// client transaction, the ring timer on the endpoint's event loop. The mirror of
/// `OutboundCall`. It knows nothing of media: it asks its user to open a port
/// (`onOpenMedia`, answered with `mediaOpened`) and reports the negotiated audio.
///
/// Confined to the endpoint's event loop.
public final class InboundSession: @unchecked Sendable {
    public struct Parameters: Sendable {
        /// How long to ring (180) before answering.
        public var ring: Duration
        /// The user part of our Contact.
        public var contactUser: String
        /// The Allow header of our 200s.
        public var allow: String

        public init(ring: Duration = .zero, contactUser: String = "switchback",
                    allow: String = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO") {
            self.ring = ring
            self.contactUser = contactUser
            self.allow = allow
        }
    }

    public let endpoint: SIPEndpoint
    public let invite: ServerTransaction
    public let parameters: Parameters
    /// Our To tag, on the 180 and the 200 alike (one early dialog becomes the confirmed one).
    public let localTag = SIPEndpoint.makeTag()
    public var callID: String { invite.request.callID ?? "" }
    /// The dialog (§12.1.1), from `start()` on; nil for an INVITE that cannot form one.
    public private(set) var dialog: SIPDialog?
    public var state: InboundSessionStateMachine.State { machine.state }
    /// Set once, when the session ended.
    public private(set) var ending: InboundSessionStateMachine.Ending?

    /// Open a media port and call `mediaOpened(address:port:)` (or `mediaFailed`).
    public var onOpenMedia: (() -> Void)?
    /// Our 200 went out (the leg is answered); the audio when the INVITE carried the offer.
    public var onAnswered: ((NegotiatedAudio?) -> Void)?
    /// The ACK arrived: media may be sent to this audio's address now.
    public var onConfirmed: ((NegotiatedAudio) -> Void)?
    /// A re-INVITE changed the audio.
    public var onMediaChanged: ((NegotiatedAudio) -> Void)?
    /// A key from a SIP INFO (`application/dtmf-relay`, `application/dtmf`).
    public var onDigit: ((Character) -> Void)?
    public var onEnd: ((InboundSessionStateMachine.Ending) -> Void)?

    private var machine: InboundSessionStateMachine
    private let registry: InboundSessionRegistry?
    private let logger: Logger
    private var ringTimer: Scheduled<Void>?
    private var pending: [(InboundSessionStateMachine.Event, ServerTransaction?)] = []
    private var stepping = false
    /// The in-dialog request whose event is being handled (what `.respondToRequest` answers).
    private var current: ServerTransaction?

    public init(endpoint: SIPEndpoint, invite: ServerTransaction, parameters: Parameters = Parameters(),
                registry: InboundSessionRegistry? = nil) {
        self.endpoint = endpoint
        self.invite = invite
        self.parameters = parameters
        self.registry = registry
        machine = InboundSessionStateMachine(configuration: .init(
            ring: parameters.ring, sessionID: UInt64.random(in: 1...UInt64(Int64.max))))
        var logger = endpoint.logger
        logger[metadataKey: "call-id"] = "\(invite.request.callID ?? "")"
        self.logger = logger
    }

    /// The negotiated audio so far.
    public var negotiated: NegotiatedAudio? { machine.negotiated }

    // MARK: - What the user of the session does

    /// Handles the INVITE: rings, or asks for media at once.
    public func start() {
        endpoint.eventLoop.preconditionInEventLoop()
        dialog = SIPDialog(uasFor: invite.request, localTag: localTag)
        registry?.add(self)
        // In-dialog requests (BYE, re-INVITE) travel on the INVITE's connection.
        endpoint.pinConnection(of: invite.flow)
        step(.invite(invite.request))
    }

    public func mediaOpened(address: String, port: Int) {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.mediaOpened(address: address, port: port))
    }

    public func mediaFailed(reason: String) {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.mediaFailed(reason: reason))
    }

    /// Ends the session: the INVITE refused with `status` before the answer, BYE with
    /// Q.850 `q850` in its Reason header after it (once the ACK came, §15).
    public func hangup(status: Int = 480, q850: Int) {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.hangupRequested(status: status, q850: q850))
    }

    // MARK: - What the transaction user passes on (through the registry)

    /// A request in our dialog: re-INVITE, INFO, BYE; anything else 405 or 200 (OPTIONS).
    public func receive(_ request: SIPRequest, in transaction: ServerTransaction) {
        endpoint.eventLoop.preconditionInEventLoop()
        // §12.2.2: a CSeq lower than the last one is out of order.
        guard var dialog, dialog.acceptRemoteSequence(of: request) else {
            transaction.respond(status: 500, reason: "Server Internal Error (CSeq out of order)",
                                headers: [("Retry-After", "1")])
            return
        }
        self.dialog = dialog
        switch request.method {
        case .invite: step(.reinvite(request), transaction)
        case .info: step(.info(request), transaction)
        case .bye: step(.bye, transaction)
        case .options: transaction.respond(status: 200, headers: [("Allow", parameters.allow)])
        default: transaction.respond(status: 405, headers: [("Allow", parameters.allow)])
        }
    }

    public func receiveACK(_ ack: SIPRequest) {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.ack(ack))
    }

    /// A CANCEL matched our INVITE.
    public func cancelled() {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.cancel)
    }

    /// The transaction layer gave up on the ACK of our 2xx.
    public func ackTimedOut() {
        endpoint.eventLoop.preconditionInEventLoop()
        step(.ackTimedOut)
    }

    // MARK: - Driving the state machine

    private func step(_ event: InboundSessionStateMachine.Event, _ transaction: ServerTransaction? = nil) {
        // Callbacks may call back in (hangup from onConfirmed): queue, never nest.
        pending.append((event, transaction))
        guard !stepping else { return }
        stepping = true
        defer { stepping = false }
        while !pending.isEmpty {
            let (next, transaction) = pending.removeFirst()
            current = transaction
            for action in machine.handle(next) { perform(action) }
            current = nil
        }
    }

    private func perform(_ action: InboundSessionStateMachine.Action) {
        switch action {
        case .respondToInvite(let response):
            guard !invite.isAnswered else { return }
            invite.respond(build(response, to: invite))
        case .respondToRequest(let response):
            guard let current else { return }
            current.respond(build(response, to: current))
        case .openMedia:
            onOpenMedia?()
        case .sendBYE(let q850):
            sendBYE(q850: q850)
        case .startTimer(let timer, let duration):
            ringTimer?.cancel()
            ringTimer = endpoint.eventLoop.scheduleTask(in: SIPEndpoint.timeAmount(duration)) { [weak self] in
                guard let self else { return }
                self.ringTimer = nil
                self.step(.timerFired(timer))
            }
        case .cancelTimer:
            ringTimer?.cancel()
            ringTimer = nil
        case .reportAnswered(let audio):
            logger.debug("inbound session answered")
            onAnswered?(audio)
        case .reportConfirmed(let audio):
            onConfirmed?(audio)
        case .reportMediaChanged(let audio):
            onMediaChanged?(audio)
        case .reportDigit(let digit):
            onDigit?(digit)
        case .reportEnded(let ending):
            self.ending = ending
            ringTimer?.cancel()
            ringTimer = nil
            endpoint.unpinConnection(of: invite.flow)
            onEnd?(ending)
            leaveRegistry()
        }
    }

    /// A response with our tag; a 200 carries Contact, Allow and its SDP.
    private func build(_ response: InboundSessionStateMachine.Response, to transaction: ServerTransaction) -> SIPResponse {
        let reason = response.reason ?? SIPResponse(statusCode: response.status).reasonPhrase
        var message = SIPResponse(replyingTo: transaction.request, statusCode: response.status, reasonPhrase: reason,
                                  toTag: localTag)
        for field in response.headers { message.headers.add(field.name, field.value) }
        if (200...299).contains(response.status), transaction.request.method == .invite {
            message.headers.add("Contact", "<\(contactURI(for: transaction.flow.transport))>")
            message.headers.add("Allow", parameters.allow)
        }
        if let sdp = response.sdp {
            message.headers.add("Content-Type", "application/sdp")
            message.body = Array(sdp.description.utf8)
        }
        return message
    }

    private func sendBYE(q850: Int) {
        guard var dialog else { return }
        var bye = dialog.makeRequest(.bye)
        bye.headers.add("Reason", "Q.850;cause=\(q850)")
        self.dialog = dialog
        endpoint.sendRequest(bye, to: destination(for: dialog), flow: invite.flow) { [logger] event in
            if case .timeout = event { logger.info("BYE not answered") }
        }
    }

    /// Where in-dialog requests go: the dialog's next hop, over the transport it came on.
    private func destination(for dialog: SIPDialog) -> SIPDestination {
        let hop = dialog.nextHop
        let transport: SIPTransportKind = hop.parameter("transport")?.value?.lowercased() == "tcp" ? .tcp : invite.flow.transport
        return SIPDestination(transport: transport, host: hop.host, port: hop.port ?? 5060)
    }

    private func contactURI(for transport: SIPTransportKind) -> SIPURI {
        let local = endpoint.advertisedAddress(for: transport)
        var uri = SIPURI(scheme: "sip", user: parameters.contactUser, host: local.host, port: local.port)
        if transport == .tcp { uri.parameters.append(SIPParameter(name: "transport", value: "tcp")) }
        return uri
    }

    /// Stays findable for a crossing BYE or retransmitted ACK for a while after the end.
    private func leaveRegistry() {
        guard let registry else { return }
        registry.forgetInvite(of: self)
        _ = endpoint.eventLoop.scheduleTask(in: SIPEndpoint.timeAmount(endpoint.configuration.timers.transactionTimeout)) { [self] in
            registry.remove(self)
        }
    }
}
