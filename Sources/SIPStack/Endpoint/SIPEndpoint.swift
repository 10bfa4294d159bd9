#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import SIP

/// The transaction layer and transports (RFC 3261 §17, §18) on one event loop.
///
/// Everything here runs on `eventLoop`: transports hand bytes in, the transaction state
/// machines decide, and this class carries out their actions (send, arm a timer,
/// deliver). It keeps no call state; that is the transaction user's.
///
/// With several SIP event loops (`sip.event-loops`), one endpoint runs on each, all on
/// the same UDP ports (`SO_REUSEPORT`: the kernel spreads datagrams over their sockets by
/// source address); the first (the primary) also holds the TCP listeners. Whichever
/// endpoint reads a message parses it and hands it to the one its Call-ID belongs to
/// (`SIPLoopAssignment`), so a call's transactions and dialogs live on one loop.
public final class SIPEndpoint: @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let configuration: SIPEndpointConfiguration
    public let logger: Logger
    public weak var user: (any SIPTransactionUser)?

    /// Counters for logs and metrics.
    public struct Statistics: Sendable {
        public var messagesReceived = 0
        public var malformedMessages = 0
        public var requestsRejected = 0
        public var messagesSent = 0
        /// TCP connections accepted and closed at once: over `tcp-max-connections` (or per source).
        public var connectionsRefused = 0
        /// TCP connections closed for having been idle (`tcp-idle-timeout`).
        public var connectionsClosedIdle = 0
        /// TCP streams refused by framing (no or garbled Content-Length, too large) and closed.
        public var streamsRefused = 0
        /// Accepts that failed for want of descriptors (EMFILE, ENFILE) or memory; the
        /// listener backs off and tries again.
        public var acceptFailures = 0

        public init() {}

        /// Adds another endpoint's counts (the server's figures are its loops' sums).
        public mutating func add(_ other: Statistics) {
            messagesReceived += other.messagesReceived
            malformedMessages += other.malformedMessages
            requestsRejected += other.requestsRejected
            messagesSent += other.messagesSent
            connectionsRefused += other.connectionsRefused
            connectionsClosedIdle += other.connectionsClosedIdle
            streamsRefused += other.streamsRefused
            acceptFailures += other.acceptFailures
        }
    }
    public internal(set) var statistics = Statistics()

    private var listeners: [(address: SIPListenAddress, channel: any Channel)] = []
    /// What Via and Contact name: the primary's listeners (a sibling advertises those too).
    private var advertisedListeners: [SIPListenAddress] = []
    /// The endpoints sharing the SIP work, one per event loop, in loop order (this one among
    /// them); empty: this endpoint takes every message. Set once, before `start`, by `share`.
    public private(set) var siblings: [SIPEndpoint] = []
    /// This endpoint's place among `siblings` (0: the primary).
    public private(set) var loopIndex = 0
    var connections: [SocketAddress: any Channel] = [:]
    private var pendingConnections: [SocketAddress: EventLoopFuture<any Channel>] = [:]
    private var serverTransactions: [TransactionKey: ServerTransaction] = [:]
    /// Internal (not private) so that `sendCancel(for:handler:)` can file the CANCEL's transaction.
    var clientTransactions: [TransactionKey: ClientTransaction] = [:]
    /// Accepted INVITE transactions by "Call-ID CSeq", to match the ACK of a 2xx.
    private var awaitingAnswerACK: [String: ServerTransaction] = [:]
    private var channelsToFlush: [ObjectIdentifier: any Channel] = [:]
    private var flushScheduled = false
    /// Every TCP connection: the caps on accepted ones, and which have gone idle.
    var connectionTable: SIPConnectionTable
    var idleSweep: RepeatedTask?
    /// The channel of each connection in `connectionTable`, to close it when idle.
    var trackedChannels: [ObjectIdentifier: any Channel] = [:]
    var refusedConnectionLog = LogThrottle(interval: .seconds(10))
    var acceptFailureLog = LogThrottle(interval: .seconds(10))
    /// Warnings about what peers sent (malformed, no usable Via, refused), per source; one
    /// budget for all siblings (`share`), whose sockets split one source's datagrams.
    private var peerWarnings = NIOLockedValueBox(PeerWarningThrottle())

    /// Datagrams taken per vector read, and the room each one gets. NIO splits the read
    /// buffer evenly between the messages of one vector read, and a SIP message over UDP
    /// may be as large as 65,535 bytes (RFC 3261 §18.1.1): each slot must hold that, or
    /// larger datagrams arrive cut short and are read as shorter messages.
    static let datagramsPerRead = 8
    /// `SO_REUSEPORT`, which NIO has no name for: several sockets on one UDP port.
    static let reusePortOption = NIOBSDSocket.Option(rawValue: SO_REUSEPORT)
    static let maximumDatagramSize = 65_536

    public init(eventLoop: any EventLoop, configuration: SIPEndpointConfiguration, logger: Logger) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.logger = logger
        self.connectionTable = SIPConnectionTable(limits: configuration.connections)
    }

    /// Accepted TCP connections open now.
    public var openConnections: Int { connectionTable.acceptedConnections }

    /// Makes `endpoints` (one per event loop, distinct loops) share the SIP work: start the
    /// first, then each other one with `start(siblingOf:)` on the first's bound addresses.
    public static func share(_ endpoints: [SIPEndpoint]) {
        for (index, endpoint) in endpoints.enumerated() {
            endpoint.loopIndex = index
            endpoint.siblings = endpoints.count > 1 ? endpoints : []
            if let first = endpoints.first { endpoint.peerWarnings = first.peerWarnings }
        }
    }

    public var loopAssignment: SIPLoopAssignment { SIPLoopAssignment(loops: siblings.count) }

    /// A fresh Call-ID for a call we place: one whose messages come back to this endpoint.
    public func makeCallID() -> String {
        loopAssignment.makeCallID(for: loopIndex)
    }

    // MARK: - Life cycle

    /// Binds every listen address. Port 0 binds an ephemeral port; `boundAddresses` tells which.
    public func start() -> EventLoopFuture<Void> {
        bind(configuration.listen, advertising: nil)
    }

    /// Starts a sibling of the primary (see `share`): binds the primary's UDP addresses
    /// (`primaryAddresses`: its `boundAddresses`, ports resolved) and advertises all of them.
    public func start(siblingOf primaryAddresses: [SIPListenAddress]) -> EventLoopFuture<Void> {
        bind(primaryAddresses.filter { $0.transport == .udp }, advertising: primaryAddresses)
    }

    private func bind(_ addresses: [SIPListenAddress], advertising: [SIPListenAddress]?) -> EventLoopFuture<Void> {
        // Several endpoints read the same UDP ports, each its own socket.
        let reusePort: SocketOptionValue = siblings.count > 1 ? 1 : 0
        let binds = addresses.map { address -> EventLoopFuture<Void> in
            let bound: EventLoopFuture<any Channel>
            switch address.transport {
            case .udp:
                bound = DatagramBootstrap(group: eventLoop)
                    .channelOption(.socketOption(.so_reuseaddr), value: 1)
                    .channelOption(.socketOption(Self.reusePortOption), value: reusePort)
                    .channelOption(.socketOption(.so_rcvbuf), value: 4 * 1024 * 1024)
                    .channelOption(.datagramVectorReadMessageCount, value: Self.datagramsPerRead)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(
                        capacity: Self.datagramsPerRead * Self.maximumDatagramSize))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(endpoint: self))
                        }
                    }
                    .bind(host: address.host, port: address.port)
            case .tcp:
                bound = ServerBootstrap(group: eventLoop)
                    .serverChannelOption(.backlog, value: 256)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .serverChannelInitializer { channel in
                        // Out of descriptors (EMFILE) or memory, accept fails: pause accepting a
                        // while instead of spinning on a listener that stays readable.
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(AcceptBackoffHandler(
                                shouldForwardIOErrorCaught: false, backoffProvider: { self.acceptFailed($0) }))
                        }
                    }
                    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
                    .childChannelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try self.admit(channel)
                            try self.addStreamHandlers(to: channel)
                        }
                    }
                    .bind(host: address.host, port: address.port)
            }
            return bound.map { channel in
                var actual = address
                actual.port = channel.localAddress?.port ?? address.port
                self.listeners.append((actual, channel))
                self.logger.info("SIP listening", metadata: ["listen": "\(actual)"])
            }
        }
        return EventLoopFuture.andAllSucceed(binds, on: eventLoop).map {
            self.advertisedListeners = advertising ?? self.listeners.map(\.address)
            self.startIdleSweep()
        }
    }

    /// Closes listeners and connections, and forgets every transaction.
    public func stop() -> EventLoopFuture<Void> {
        eventLoop.flatSubmit {
            self.idleSweep?.cancel()
            self.idleSweep = nil
            for transaction in self.serverTransactions.values { self.cancelTimers(&transaction.timers) }
            for transaction in self.clientTransactions.values { self.cancelTimers(&transaction.timers) }
            self.serverTransactions.removeAll()
            self.clientTransactions.removeAll()
            self.awaitingAnswerACK.removeAll()
            let channels = self.listeners.map(\.channel) + Array(self.connections.values)
            self.listeners.removeAll()
            self.connections.removeAll()
            self.siblings = []
            let closes = channels.map { $0.close().recover { _ in } }
            return EventLoopFuture.andAllComplete(closes, on: self.eventLoop)
        }
    }

    /// The addresses actually bound (ports resolved), in configuration order.
    public var boundAddresses: [SIPListenAddress] {
        listeners.map(\.address)
    }

    /// Host and port to advertise for a transport in Via and Contact.
    public func advertisedAddress(for transport: SIPTransportKind) -> (host: String, port: Int) {
        let listener = advertisedListeners.first { $0.transport == transport } ?? advertisedListeners.first
        let boundHost = listener?.host ?? "127.0.0.1"
        let host = configuration.advertisedHost ?? (Self.isWildcard(boundHost) ? "127.0.0.1" : boundHost)
        return (host, listener?.port ?? 5060)
    }

    public static func isWildcard(_ host: String) -> Bool {
        host == "0.0.0.0" || host == "::" || host == "[::]"
    }

    private func addStreamHandlers(to channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SIPStreamDecoder(limits: configuration.streamLimits)))
        try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(endpoint: self))
    }

    func connectionOpened(_ channel: any Channel) {
        guard let remote = channel.remoteAddress else { return }
        connections[remote] = channel
        // Ours (an outgoing connection): known to the table; accepted ones are already in.
        let id = ObjectIdentifier(channel)
        guard trackedChannels[id] == nil else { return }
        connectionTable.opened(id, source: remote.ipAddress ?? "?", now: .now())
        track(channel)
    }

    func connectionClosed(_ channel: any Channel) {
        guard let remote = channel.remoteAddress else { return }
        if connections[remote] === channel { connections[remote] = nil }
    }

    // MARK: - Receiving

    func receive(_ bytes: [UInt8], flow: SIPFlow) {
        statistics.messagesReceived += 1
        if flow.transport == .tcp { connectionTable.touched(ObjectIdentifier(flow.channel), now: .now()) }
        let message: SIPMessage
        do {
            message = try SIPMessageParser.parse(bytes)
        } catch {
            statistics.malformedMessages += 1
            warnAboutPeer("malformed SIP message", flow: flow, [
                "from": "\(flow)", "line": "\(error.line)", "reason": "\(error.reason)", "bytes": "\(bytes.count)",
            ])
            if let salvage = error.salvage, salvage.method != .ack {
                var salvaged = salvage
                ViaStamping.stamp(&salvaged, sourceHost: flow.remoteHost, sourcePort: flow.remotePort)
                // §8.2.6.2: a final response carries a To tag, even one refusing a broken request.
                let response = SIPResponse(replyingTo: salvaged, statusCode: error.status,
                                           reasonPhrase: Self.reasonPhrase(error.status, error.reason), toTag: Self.makeTag())
                send(.response(response), to: flow)
            }
            return
        }
        if siblings.count > 1, let callID = message.callID {
            let owner = siblings[loopAssignment.loop(forCallID: callID)]
            if owner !== self {
                hand(message, flow: flow, to: owner)
                return
            }
        }
        handle(message, flow: flow)
    }

    private func handle(_ message: SIPMessage, flow: SIPFlow) {
        switch message {
        case .request(var request):
            ViaStamping.stamp(&request, sourceHost: flow.remoteHost, sourcePort: flow.remotePort)
            receiveRequest(request, flow: flow)
        case .response(let response):
            receiveResponse(response, flow: flow)
        }
    }

    /// Passes a message read here to the sibling its Call-ID belongs to. A UDP flow is
    /// rewritten to the owner's socket on the same address, so its answers leave from the
    /// owner's loop (the peer sees the same address); a TCP flow keeps its connection.
    private func hand(_ message: SIPMessage, flow: SIPFlow, to owner: SIPEndpoint) {
        let listener = flow.transport == .udp ? listeners.first(where: { $0.channel === flow.channel })?.address : nil
        owner.eventLoop.execute {
            var adopted = flow
            if let listener, let socket = owner.listeners.first(where: { $0.address == listener })?.channel {
                adopted = SIPFlow(transport: .udp, remote: flow.remote, channel: socket)
            }
            owner.handle(message, flow: adopted)
        }
    }

    /// A warning about what the peer behind `flow` sent, within `peerWarnings`' budget; a
    /// line written after some were held back says how many (`held-back`). The metadata is
    /// built only for a line that is written.
    private func warnAboutPeer(_ message: Logger.Message, flow: SIPFlow, _ metadata: @autoclosure () -> Logger.Metadata) {
        let now = NIODeadline.now()
        guard let heldBack = peerWarnings.withLockedValue({ $0.admit(source: flow.remoteHost, now: now) }) else { return }
        var metadata = metadata()
        if heldBack > 0 { metadata["held-back"] = "\(heldBack)" }
        logger.warning(message, metadata: metadata)
    }

    /// A reason phrase that carries the parser's reason, bounded and on one line.
    public static func reasonPhrase(_ status: Int, _ detail: String) -> String {
        let base = SIPResponse(statusCode: status).reasonPhrase
        let clean = detail.filter { $0 != "\r" && $0 != "\n" }.prefix(100)
        return clean.isEmpty ? base : "\(base) (\(clean))"
    }

    private func receiveRequest(_ request: SIPRequest, flow: SIPFlow) {
        guard let key = TransactionKey.server(for: request) else {
            statistics.malformedMessages += 1
            warnAboutPeer("request without usable Via", flow: flow, ["from": "\(flow)", "method": "\(request.method)"])
            return
        }
        if request.method == .ack {
            receiveACK(request, key: key, flow: flow)
            return
        }
        if let existing = serverTransactions[key] {
            perform(existing.receiveRetransmission(), for: existing)
            return
        }
        let transaction = ServerTransaction(request: request, flow: flow, key: key, settings: configuration.timers, endpoint: self)
        serverTransactions[key] = transaction
        if let rejection = configuration.validator.check(request) {
            statistics.requestsRejected += 1
            warnAboutPeer("request rejected", flow: flow, [
                "from": "\(flow)", "method": "\(request.method)", "status": "\(rejection.statusCode)", "reason": "\(rejection.reason)",
            ])
            var response = SIPResponse(replyingTo: request, statusCode: rejection.statusCode,
                                       reasonPhrase: Self.reasonPhrase(rejection.statusCode, rejection.reason),
                                       toTag: Self.makeTag())
            for field in rejection.extraHeaders { response.headers.add(field.name, field.value) }
            transaction.respond(response)
            return
        }
        if request.method == .cancel {
            receiveCancel(request, transaction: transaction)
            return
        }
        if request.method == .invite {
            // §17.2.1: answer 100 at once, so the client stops retransmitting.
            transaction.respond(status: 100)
        }
        user?.endpoint(self, didReceive: request, in: transaction)
    }

    private func receiveACK(_ ack: SIPRequest, key: TransactionKey, flow: SIPFlow) {
        if let invite = serverTransactions[key], !invite.isAccepted {
            perform(invite.receiveACK(ack), for: invite)
            return
        }
        if let callID = ack.callID, let cseq = ack.cseq, let invite = awaitingAnswerACK["\(callID) \(cseq.sequence)"] {
            perform(invite.receiveACK(ack), for: invite)
            return
        }
        user?.endpoint(self, didReceiveACK: ack, flow: flow)
    }

    private func receiveCancel(_ cancel: SIPRequest, transaction: ServerTransaction) {
        guard let inviteKey = TransactionKey.cancelledInvite(by: cancel), let invite = serverTransactions[inviteKey] else {
            transaction.respond(status: 481)
            return
        }
        transaction.respond(status: 200)
        if !invite.isAnswered && !invite.isCancelled {
            invite.isCancelled = true
            user?.endpoint(self, didCancel: invite)
        }
    }

    private func receiveResponse(_ response: SIPResponse, flow: SIPFlow) {
        guard let key = TransactionKey.client(for: response), let transaction = clientTransactions[key] else {
            user?.endpoint(self, didReceiveStray: response, flow: flow)
            return
        }
        transaction.flow = transaction.flow ?? flow
        perform(transaction.receive(response), for: transaction)
    }

    // MARK: - Sending requests

    /// Starts a client transaction. The endpoint adds the top Via (our address, a fresh
    /// branch, `rport`). `flow` pins the request to an existing connection (in-dialog
    /// requests over TCP go back on the connection the dialog came in on).
    @discardableResult
    public func sendRequest(_ request: SIPRequest, to destination: SIPDestination, flow: SIPFlow? = nil,
                            handler: @escaping (ClientTransactionEvent) -> Void) -> ClientTransaction {
        eventLoop.preconditionInEventLoop()
        var request = request
        addVia(to: &request, transport: destination.transport)
        let key = TransactionKey.client(for: request)!
        let transaction = ClientTransaction(request: request, destination: destination, key: key,
                                            settings: configuration.timers, handler: handler)
        transaction.flow = flow
        clientTransactions[key] = transaction
        perform(transaction.start(), for: transaction)
        return transaction
    }

    /// Sends a request outside any transaction: the ACK for a 2xx (§13.2.2.4).
    public func sendACK(_ ack: SIPRequest, to destination: SIPDestination, flow: SIPFlow? = nil) {
        var ack = ack
        addVia(to: &ack, transport: destination.transport)
        transmit(.request(ack), to: destination, flow: flow) { _ in }
    }

    public static func makeBranch() -> String {
        TransactionKey.magicCookie + makeTag()
    }

    /// A fresh To (or From) tag: random, at least 32 bits of it (§19.3).
    public static func makeTag() -> String {
        String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    private func addVia(to request: inout SIPRequest, transport: SIPTransportKind) {
        let local = advertisedAddress(for: transport)
        let via = "SIP/2.0/\(transport.rawValue) \(local.host):\(local.port);branch=\(Self.makeBranch());rport"
        var fields = request.headers.values("Via")
        fields.insert(via, at: 0)
        request.headers.remove("Via")
        for field in fields { request.headers.add("Via", field) }
    }

    // MARK: - Carrying out transaction actions

    func perform(_ actions: [TransactionAction], for transaction: ServerTransaction) {
        for action in actions {
            switch action {
            case .sendResponse(let response):
                send(.response(response), to: transaction.flow)
                if transaction.request.method == .register, transaction.flow.transport == .tcp {
                    holdConnection(of: transaction.flow, for: response)
                }
                if transaction.isAccepted, let callID = transaction.request.callID, let cseq = transaction.request.cseq {
                    awaitingAnswerACK["\(callID) \(cseq.sequence)"] = transaction
                }
            case .sendRequest(let request):
                send(.request(request), to: transaction.flow)
            case .deliverACK(let ack):
                user?.endpoint(self, didReceiveACK: ack, flow: transaction.flow)
            case .deliverResponse:
                break
            case .startTimer(let timer, let after):
                transaction.timers[timer]?.cancel()
                transaction.timers[timer] = eventLoop.scheduleTask(in: Self.timeAmount(after)) { [weak transaction] in
                    guard let transaction else { return }
                    self.perform(transaction.timerFired(timer), for: transaction)
                }
            case .cancelTimer(let timer):
                transaction.timers.removeValue(forKey: timer)?.cancel()
            case .timedOut:
                user?.endpoint(self, transactionTimedOut: transaction)
            case .terminate:
                cancelTimers(&transaction.timers)
                if serverTransactions[transaction.key] === transaction { serverTransactions[transaction.key] = nil }
                if let callID = transaction.request.callID, let cseq = transaction.request.cseq,
                   awaitingAnswerACK["\(callID) \(cseq.sequence)"] === transaction {
                    awaitingAnswerACK["\(callID) \(cseq.sequence)"] = nil
                }
            }
        }
    }

    func perform(_ actions: [TransactionAction], for transaction: ClientTransaction) {
        for action in actions {
            switch action {
            case .sendRequest(let request):
                transmit(.request(request), to: transaction.destination, flow: transaction.flow) { [weak transaction] error in
                    guard let transaction, error != nil else { return }
                    self.perform(transaction.transportFailed(), for: transaction)
                }
            case .sendResponse:
                break
            case .deliverResponse(let response):
                transaction.handler(.response(response))
            case .deliverACK:
                break
            case .startTimer(let timer, let after):
                transaction.timers[timer]?.cancel()
                transaction.timers[timer] = eventLoop.scheduleTask(in: Self.timeAmount(after)) { [weak transaction] in
                    guard let transaction else { return }
                    self.perform(transaction.timerFired(timer), for: transaction)
                }
            case .cancelTimer(let timer):
                transaction.timers.removeValue(forKey: timer)?.cancel()
            case .timedOut:
                transaction.handler(.timeout)
            case .terminate:
                cancelTimers(&transaction.timers)
                if clientTransactions[transaction.key] === transaction { clientTransactions[transaction.key] = nil }
            }
        }
    }

    private func cancelTimers(_ timers: inout [TransactionTimer: Scheduled<Void>]) {
        for timer in timers.values { timer.cancel() }
        timers.removeAll()
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: - Transport

    /// Sends on the flow a message came in on (responses, §18.2.2). On UDP the
    /// destination comes from the top Via (`received`/`rport`).
    func send(_ message: SIPMessage, to flow: SIPFlow) {
        var target = flow.remote
        if flow.transport == .udp, case .response(let response) = message,
           let destination = ResponseRouting.destination(for: response),
           let address = try? SocketAddress(ipAddress: destination.host, port: destination.port) {
            target = address
        }
        write(message.serialized(), to: target, on: flow.channel, transport: flow.transport)
    }

    /// Sends to a destination: pinned flow first, then an open connection, then a new one.
    func transmit(_ message: SIPMessage, to destination: SIPDestination, flow: SIPFlow?,
                  completion: @escaping @Sendable ((any Error)?) -> Void) {
        let bytes = message.serialized()
        if let flow, flow.channel.isActive {
            write(bytes, to: flow.remote, on: flow.channel, transport: flow.transport)
            completion(nil)
            return
        }
        resolve(destination).flatMap { address -> EventLoopFuture<(SocketAddress, any Channel)> in
            switch destination.transport {
            case .udp:
                guard let channel = self.listeners.first(where: { $0.address.transport == .udp })?.channel else {
                    return self.eventLoop.makeFailedFuture(TransportError.noListener(.udp))
                }
                return self.eventLoop.makeSucceededFuture((address, channel))
            case .tcp:
                return self.connection(to: address).map { (address, $0) }
            }
        }.whenComplete { result in
            switch result {
            case .success(let (address, channel)):
                self.write(bytes, to: address, on: channel, transport: destination.transport)
                completion(nil)
            case .failure(let error):
                self.logger.warning("cannot send SIP message", metadata: ["to": "\(destination)", "reason": "\(error)"])
                completion(error)
            }
        }
    }

    public enum TransportError: Error, CustomStringConvertible {
        case noListener(SIPTransportKind)
        case unresolvable(String)

        public var description: String {
            switch self {
            case .noListener(let kind): return "no \(kind.rawValue) listener to send from"
            case .unresolvable(let host): return "cannot resolve host '\(host)'"
            }
        }
    }

    private func resolve(_ destination: SIPDestination) -> EventLoopFuture<SocketAddress> {
        if let address = try? SocketAddress(ipAddress: destination.host, port: destination.port) {
            return eventLoop.makeSucceededFuture(address)
        }
        // Host names (trunk gateways) resolve off the event loop.
        let promise = eventLoop.makePromise(of: SocketAddress.self)
        NIOThreadPool.singleton.submit { _ in
            do {
                promise.succeed(try SocketAddress.makeAddressResolvingHost(destination.host, port: destination.port))
            } catch {
                promise.fail(TransportError.unresolvable(destination.host))
            }
        }
        return promise.futureResult.hop(to: eventLoop)
    }

    private func connection(to address: SocketAddress) -> EventLoopFuture<any Channel> {
        if let open = connections[address], open.isActive { return eventLoop.makeSucceededFuture(open) }
        if let pending = pendingConnections[address] { return pending }
        let connecting = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try self.addStreamHandlers(to: channel) }
            }
            .connect(to: address)
        pendingConnections[address] = connecting
        connecting.whenComplete { _ in self.pendingConnections[address] = nil }
        return connecting
    }

    private func write(_ bytes: [UInt8], to address: SocketAddress, on channel: any Channel, transport: SIPTransportKind) {
        statistics.messagesSent += 1
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        switch transport {
        case .udp:
            channel.write(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        case .tcp:
            onConnectionOwner(of: channel) { $0.connectionTable.touched(ObjectIdentifier(channel), now: .now()) }
            channel.write(buffer, promise: nil)
        }
        scheduleFlush(channel)
    }

    /// Writes made while handling one batch of input go out together (vector writes on UDP).
    private func scheduleFlush(_ channel: any Channel) {
        channelsToFlush[ObjectIdentifier(channel)] = channel
        guard !flushScheduled else { return }
        flushScheduled = true
        eventLoop.execute {
            self.flushScheduled = false
            let channels = self.channelsToFlush.values
            self.channelsToFlush.removeAll(keepingCapacity: true)
            for channel in channels { channel.flush() }
        }
    }
}

extension ServerTransaction {
    var isAccepted: Bool {
        if case .invite(let machine) = machine { return machine.state == .accepted }
        return false
    }
}
