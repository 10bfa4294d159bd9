import NIOCore
import SIP

/// TCP connections: the caps on accepting them, the idle timeout, what keeps one open
/// (a call pins it, a registration holds it), accept failures, and refusing a stream
/// that cannot be framed.
extension SIPEndpoint {
    /// Why an accepted connection was closed at once.
    struct ConnectionRefused: Error, CustomStringConvertible {
        let admission: SIPConnectionTable.Admission
        var description: String { "connection refused: \(admission)" }
    }

    /// On accepting (the child channel's initializer, on the endpoint's loop): counts the
    /// connection, or throws so that it is closed at once, over a cap.
    func admit(_ channel: any Channel) throws {
        let source = channel.remoteAddress?.ipAddress ?? "?"
        let id = ObjectIdentifier(channel)
        let now = NIODeadline.now()
        let admission = connectionTable.admit(id, source: source, now: now)
        guard admission == .accepted else {
            statistics.connectionsRefused += 1
            let (log, suppressed) = refusedConnectionLog.shouldLog(now: now)
            if log {
                logger.warning("TCP connection refused: over the connection cap", metadata: [
                    "remote": "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
                    "cap": "\(admission == .overTotalCap ? "tcp-max-connections" : "tcp-max-connections-per-source")",
                    "open": "\(connectionTable.acceptedConnections)", "refused-since-last-log": "\(suppressed)",
                ])
            }
            throw ConnectionRefused(admission: admission)
        }
        track(channel)
    }

    /// Remembers the channel until it closes (then the table forgets it too).
    func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        trackedChannels[id] = channel
        channel.closeFuture.whenComplete { _ in
            self.eventLoop.execute {
                // The channel stays alive until it is forgotten, so that no new connection
                // can take its ObjectIdentifier before then.
                withExtendedLifetime(channel) {
                    self.trackedChannels[id] = nil
                    self.connectionTable.closed(id)
                }
            }
        }
    }

    /// The listener's accept failed (EMFILE, ENFILE, ENOBUFS, ENOMEM): counted, logged at
    /// most every 10 s, and accepting pauses for half a second (connections wait in the
    /// backlog meanwhile).
    func acceptFailed(_ error: IOError) -> TimeAmount? {
        statistics.acceptFailures += 1
        let (log, suppressed) = acceptFailureLog.shouldLog(now: .now())
        if log {
            logger.error("cannot accept TCP connections, backing off", metadata: [
                "reason": "\(error)", "failures-since-last-log": "\(suppressed)",
            ])
        }
        return .milliseconds(500)
    }

    func startIdleSweep() {
        guard idleSweep == nil, configuration.listen.contains(where: { $0.transport == .tcp }) else { return }
        let timeout = Self.timeAmount(configuration.connections.idleTimeout)
        let every = TimeAmount.nanoseconds(max(1_000_000_000, min(15_000_000_000, timeout.nanoseconds / 4)))
        idleSweep = eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            self.closeIdleConnections(now: .now())
        }
    }

    /// Closes the connections that are idle at `now` (see `SIPConnectionTable.idle`).
    func closeIdleConnections(now: NIODeadline) {
        for id in connectionTable.idle(now: now) {
            guard let channel = trackedChannels[id] else {
                connectionTable.closed(id)
                continue
            }
            statistics.connectionsClosedIdle += 1
            logger.info("closing idle SIP TCP connection", metadata: [
                "remote": "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
            ])
            // Forget it now: a second sweep must not count it twice while it closes.
            connectionTable.closed(id)
            trackedChannels[id] = nil
            channel.close(promise: nil)
        }
    }

    /// A call (its in-dialog requests) depends on the flow's connection: it is not
    /// closed for idleness until `unpinConnection`. No-op for UDP.
    public func pinConnection(of flow: SIPFlow) {
        eventLoop.preconditionInEventLoop()
        guard flow.transport == .tcp else { return }
        let id = ObjectIdentifier(flow.channel)
        onConnectionOwner(of: flow.channel) { $0.connectionTable.pin(id) }
    }

    public func unpinConnection(of flow: SIPFlow) {
        eventLoop.preconditionInEventLoop()
        guard flow.transport == .tcp else { return }
        let id = ObjectIdentifier(flow.channel)
        onConnectionOwner(of: flow.channel) { $0.connectionTable.unpin(id) }
    }

    /// Runs `body` with the endpoint whose loop `channel` is on, there: a connection is in
    /// that endpoint's table, and with several SIP loops a call on one loop may use a
    /// connection accepted on another (the primary's).
    func onConnectionOwner(of channel: any Channel, _ body: @escaping @Sendable (SIPEndpoint) -> Void) {
        if channel.eventLoop.inEventLoop {
            body(self)
            return
        }
        let siblings = self.siblings
        channel.eventLoop.execute {
            if let owner = siblings.first(where: { $0.eventLoop.inEventLoop }) { body(owner) }
        }
    }

    /// A 2xx to a REGISTER on a connection: the connection is held while the longest
    /// binding the response lists lives (the phone is reached over it, RFC 5626 §3);
    /// a 2xx listing none (everything unregistered) lets it go idle again.
    func holdConnection(of flow: SIPFlow, for response: SIPResponse) {
        guard (200...299).contains(response.statusCode) else { return }
        let defaultExpires = response.headers["Expires"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        var longest = 0
        for contact in response.contacts {
            let expires = contact.parameter("expires")?.value.flatMap { Int($0) }
            longest = max(longest, expires ?? defaultExpires)
        }
        let id = ObjectIdentifier(flow.channel)
        let until = NIODeadline.now() + .seconds(Int64(longest))
        onConnectionOwner(of: flow.channel) { $0.connectionTable.hold(id, until: until) }
    }

    /// A stream that cannot be framed (no or garbled Content-Length: 400; too large: 513):
    /// answered when the header section was whole and names a request, then closed.
    func refuseStream(_ refusal: SIPStreamFramer.Refusal, header: [UInt8]?, flow: SIPFlow) {
        statistics.streamsRefused += 1
        logger.warning("refusing SIP TCP stream", metadata: [
            "remote": "\(flow.remoteHost):\(flow.remotePort)", "status": "\(refusal.status)", "reason": "\(refusal.reason)",
        ])
        let channel = flow.channel
        guard let request = header.flatMap(Self.requestToAnswer), request.method != .ack else {
            channel.close(promise: nil)
            return
        }
        var stamped = request
        ViaStamping.stamp(&stamped, sourceHost: flow.remoteHost, sourcePort: flow.remotePort)
        var response = SIPResponse(replyingTo: stamped, statusCode: refusal.status,
                                   reasonPhrase: Self.reasonPhrase(refusal.status, refusal.reason), toTag: Self.makeTag())
        response.headers.add("Server", configuration.userAgent)
        let bytes = response.serialized()
        statistics.messagesSent += 1
        var buffer = channel.allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
    }

    /// The request a header section holds, read whole when it parses, else what can be
    /// salvaged of it (Via, From, To, Call-ID, CSeq); nil for a response or nothing readable.
    private static func requestToAnswer(_ header: [UInt8]) -> SIPRequest? {
        do {
            if case .request(let request) = try SIPMessageParser.parse(header) { return request }
            return nil
        } catch {
            return error.salvage
        }
    }
}
