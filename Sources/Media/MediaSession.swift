import Foundation
import Logging
import NIOCore

/// One call's media: an RTP socket on an even port and RTCP on the next, the sending
/// side driven by the loop's `MediaClock`, the receiving side by `RTPInboundHandler`.
///
/// **Confinement.** A session lives on one event loop (`eventLoop`). Methods may be
/// called from anywhere: off the loop they hop onto it. The callback properties must
/// be set on the loop (for example in the `map` of `openSession`'s future, which runs
/// there) and are always called on it. No lock is taken per packet.
///
/// **Lifetime.** Every session must be `close`d: a started session is held by its
/// loop's clock and its sockets stay bound until then.
///
/// **Sending.** Nothing is sent until `start`. From then on, every 20 ms one packet:
/// the next frame of the playing prompt, or, when nothing plays, a frame of G.711
/// silence (0xFF / 0xD5). A continuous stream keeps NAT bindings open and peers'
/// inactivity timers quiet; comfort noise (RFC 3389) is not used because not every
/// peer offers it. While a digit is being sent (`sendDigit`), RFC 4733 packets
/// replace the audio and playback pauses. An RTCP SR with SDES CNAME goes out every
/// 5 s (RFC 3550 §6.2 minimum), including a report block on the peer's stream.
///
/// **Bridges and conferences.** While a `MediaBridge` or `MediaConference` holds the
/// session, every frame that no prompt or digit of its own takes carries the relayed or
/// mixed audio instead of silence, still stamped with this session's SSRC, sequence
/// numbers and timestamps: the peer sees one continuous stream across prompts, bridge
/// and unbridge. `play` keeps working: the prompt wins over relayed audio.
///
/// **Receiving.** Symmetric RTP: the first packet's source becomes the address sent to
/// if it differs from the signalled one. Digits arrive through `onDigit` from RFC 4733
/// events, or, when the peer offered no telephone-event, from the in-band detector, as
/// `dtmfMode` says (`DTMFDetection`).
public final class MediaSession: @unchecked Sendable {
    public let eventLoop: any EventLoop
    /// The RTP port; RTCP is `localPort + 1`.
    public let localPort: Int
    /// The synchronisation source of the stream this session sends (random, §8.1).
    public let ssrc: UInt32

    /// Called on the loop for each digit received (sources `.rfc4733`, `.inband`). In-band
    /// tones are listened for only while it is set: decoding and the tone detector were a
    /// fifth of an IVR call's instructions and a third of a relayed packet's (callgrind,
    /// issue 19), spent mostly on bridge legs nobody takes keys from.
    public var onDigit: ((Character, DTMFSource) -> Void)? {
        didSet {
            eventLoop.preconditionInEventLoop()
            if var configuration = rtpHandler.receiver.configuration, configuration.inbandDetection != (onDigit != nil) {
                configuration.inbandDetection = onDigit != nil
                rtpHandler.receiver.configure(configuration)
            }
        }
    }
    /// Which DTMF detectors the leg runs (the trunk's `dtmf:`; `DTMFDetection`). Set on
    /// the loop, before `start` or at any time after; `auto` until then.
    public var dtmfMode: DTMFMode = .auto {
        didSet {
            eventLoop.preconditionInEventLoop()
            if var configuration = rtpHandler.receiver.configuration, configuration.dtmfMode != dtmfMode {
                configuration.dtmfMode = dtmfMode
                rtpHandler.receiver.configure(configuration)
            }
        }
    }
    /// `rfc4733` without a telephone-event from the peer was logged (once per session).
    private var toldNoKeys = false
    /// A refused RTP send was logged (once per session).
    private var toldSendFailure = false
    /// A failed RTP read was logged (once per session).
    private var toldReceiveFailure = false
    /// The RTP socket's last source as a `SocketAddress` (`receivePending`).
    private var sources = SourceAddressCache()

    /// Called on the loop after the last frame of a `play` was sent, with its token.
    /// Not called for a playback that `play` replaced or `stopPlayback` stopped.
    public var onPlaybackFinished: ((UInt64) -> Void)? {
        didSet { eventLoop.preconditionInEventLoop() }
    }

    let rtpChannel: any Channel
    /// The RTP socket the engine bound, written directly (`RTPSocket`); nil for a channel
    /// the engine did not bind (tests on an `EmbeddedChannel`): packets go through it.
    let rtpSocket: RTPSocket?
    let rtcpChannel: any Channel
    private let rtpHandler: RTPInboundHandler
    private let rtcpHandler: RTCPInboundHandler
    let clock: MediaClock
    private let onClose: @Sendable () -> Void
    private var logger: Logger
    private let symmetricRTP: SymmetricRTP
    private let cname: String

    private enum State { case idle, started, closed }
    private var state = State.idle
    private var closeFuture: EventLoopFuture<Void>?

    // Sending.
    private var signalledRemote: SocketAddress?
    private var remote: SocketAddress?
    private var remoteRTCP: SocketAddress?
    private var rtcpLearned = false
    private var law = G711Law.ulaw
    private var payloadType: UInt8 = 0
    private var telephoneEventPayloadType: UInt8?
    private var sequenceNumber: UInt16
    private var timestamp: UInt32
    private var marker = true
    private var statsStorage = MediaSessionStats()

    // Playback.
    private var queue: [Prompt] = []
    private var promptIndex = 0
    private var frameIndex = 0
    private var currentPayload: [UInt8] = []
    private var playbackToken: UInt64?
    private var finishedTokens: [UInt64] = []

    // Digits to send.
    private struct DigitInProgress {
        var steps: [TelephoneEventSender.Step]
        var next = 0
        var elapsedMilliseconds = 0
        var timestamp: UInt32
    }
    private var digitQueue: [TelephoneEventSender] = []
    private var digitInProgress: DigitInProgress?

    // RTCP.
    static let reportIntervalFrames = 250  // 5 s
    private var framesUntilReport: Int
    private var lastSenderReportReceived: (middle: UInt32, at: NIODeadline)?

    /// The bridge leg or conference participant this session is plugged into. On the loop.
    var attachment: (any MediaSessionAttachment)? {
        didSet {
            eventLoop.preconditionInEventLoop()
            if let attachment {
                rtpHandler.onAudio = { header, payload, law in
                    attachment.sessionReceivedAudio(payload, timestamp: header.timestamp, ssrc: header.ssrc, law: law)
                }
            } else {
                rtpHandler.onAudio = nil
            }
        }
    }

    /// Whether what arrives goes on to another party (a bridge or conference): then the
    /// clock reads the session every tick. On the loop.
    var relaysAudio: Bool { attachment != nil }

    /// Whether the session is closed. On the loop.
    var isClosed: Bool { state == .closed }

    /// The negotiated law (µ-law until `start`). On the loop.
    var currentLaw: G711Law { law }

    // Clock bookkeeping (touched by MediaClock only).
    var clockIndex: Int?
    /// Which of the clock's ticks reads this session while it relays nothing.
    var readPhase = 0
    var needsFlush = false

    init(eventLoop: any EventLoop, localPort: Int, rtpChannel: any Channel, rtpSocket: RTPSocket? = nil,
         rtcpChannel: any Channel, rtpHandler: RTPInboundHandler, rtcpHandler: RTCPInboundHandler, clock: MediaClock,
         symmetricRTP: SymmetricRTP = .default, logger: Logger, onClose: @escaping @Sendable () -> Void) {
        self.symmetricRTP = symmetricRTP
        self.eventLoop = eventLoop
        self.localPort = localPort
        self.rtpChannel = rtpChannel
        self.rtpSocket = rtpSocket
        self.rtcpChannel = rtcpChannel
        self.rtpHandler = rtpHandler
        self.rtcpHandler = rtcpHandler
        self.clock = clock
        self.onClose = onClose
        var logger = logger
        logger[metadataKey: "rtp-port"] = "\(localPort)"
        self.logger = logger
        var generator = SystemRandomNumberGenerator()
        self.ssrc = generator.next()
        self.sequenceNumber = generator.next()  // random start, §5.1
        self.timestamp = generator.next()
        self.framesUntilReport = Int.random(in: 50...MediaSession.reportIntervalFrames)
        self.cname = "switchback-\(String(ssrc, radix: 16))@\(ProcessInfo.processInfo.hostName)"
        // Strong on purpose: `closeOnLoop` breaks the cycle. A weak reference would give every
        // session a side table, and every retain of it on the tick a slow path (issue 19).
        rtpHandler.onEvent = { event in self.handle(event) }
        rtcpHandler.onPackets = { packets, source in self.handle(rtcp: packets, from: source) }
        // The engine's sockets are read on the clock's tick from the start: what arrives
        // before `start` (early media while a B leg rings) is counted and dropped as it
        // comes, not left queued to be relayed in a burst once the leg starts.
        if rtpSocket != nil { clock.register(self) }
    }

    /// Runs `body` on the loop: now if already there, else later.
    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    // MARK: control

    /// Starts (or, on a re-INVITE, re-targets) the stream.
    /// - Parameters:
    ///   - remote: the peer's RTP address from SDP (RTCP is assumed at port + 1 until
    ///     RTCP arrives from elsewhere).
    ///   - law / payloadType: the negotiated G.711 codec and its payload type.
    ///   - telephoneEventPayloadType: the peer's telephone-event type, or nil when it
    ///     offered none. With `dtmfMode` `auto`, in-band tones are listened for until
    ///     RFC 4733 events arrive.
    public func start(remote: SocketAddress, law: G711Law, payloadType: UInt8, telephoneEventPayloadType: UInt8?) {
        onLoop { [self] in
            guard state != .closed else { return }
            if remote != signalledRemote {
                // A new address from SDP: send there until media shows where the peer is.
                signalledRemote = remote
                self.remote = remote
                rtcpLearned = false
                remoteRTCP = remote.port.map { port in
                    var rtcp = remote
                    rtcp.port = port + 1
                    return rtcp
                }
            }
            self.law = law
            self.payloadType = payloadType
            self.telephoneEventPayloadType = telephoneEventPayloadType
            if playbackToken != nil, promptIndex < queue.count {
                currentPayload = queue[promptIndex].payload(law)
            }
            // Same SDP address as before (a re-INVITE): keep what symmetric RTP learned.
            rtpHandler.receiver.configure(MediaReceiver.Configuration(
                law: law, payloadType: payloadType, telephoneEventPayloadType: telephoneEventPayloadType,
                inbandDetection: onDigit != nil, expectedRemote: self.remote, symmetricRTP: symmetricRTP,
                dtmfMode: dtmfMode))
            if !toldNoKeys, DTMFDetection.decide(mode: dtmfMode, offeredTelephoneEvent: telephoneEventPayloadType != nil,
                                                 telephoneEventSeen: false).hearsNothing {
                // The operator said this trunk sends RFC 4733 and its peer offered none: tones
                // are not decoded either, so no key from this leg will count.
                toldNoKeys = true
                logger.warning("no telephone-event offered on a dtmf rfc4733 leg: its keys are not heard", metadata: [
                    "remote": "\(remote)", "dtmf": "\(dtmfMode)"])
            }
            if state == .idle {
                state = .started
                clock.register(self)
            }
        }
    }

    /// Adds `value` under `key` to every line this session logs (the call's id, once the
    /// session belongs to a call). On `eventLoop`.
    public func tagLog(_ key: String, _ value: String) {
        eventLoop.preconditionInEventLoop()
        logger[metadataKey: key] = "\(value)"
    }

    /// Replaces whatever is playing with `prompts`, played back to back; when the last
    /// frame has been sent, `onPlaybackFinished(token)` is called. An empty list (or
    /// one of empty prompts) finishes at the next tick.
    public func play(_ prompts: [Prompt], token: UInt64) {
        let prompts = prompts.filter { $0.frameCount > 0 }
        onLoop { [self] in
            guard state != .closed else { return }
            queue = prompts
            promptIndex = 0
            frameIndex = 0
            playbackToken = token
            currentPayload = prompts.first?.payload(law) ?? []
            marker = true
        }
    }

    /// Stops playback (no `onPlaybackFinished`); silence is sent from the next tick.
    public func stopPlayback() {
        onLoop { [self] in
            queue = []
            currentPayload = []
            playbackToken = nil
        }
    }

    /// Sends a key press as RFC 4733 events. Needs a telephone-event payload type in
    /// `start`; without one the digit is dropped with a warning in the log.
    public func sendDigit(_ digit: Character, durationMilliseconds: Int = 100) {
        onLoop { [self] in
            guard let sender = TelephoneEventSender(digit: digit, durationMilliseconds: durationMilliseconds) else {
                logger.warning("not a DTMF key, not sent", metadata: ["digit": "\(digit)"])
                return
            }
            digitQueue.append(sender)
        }
    }

    /// Whether a playback is in progress. Read on the loop.
    public var isPlaying: Bool {
        eventLoop.preconditionInEventLoop()
        return playbackToken != nil
    }

    /// Counters so far. Read on the loop.
    public var stats: MediaSessionStats {
        eventLoop.preconditionInEventLoop()
        var stats = statsStorage
        let receiver = rtpHandler.receiver
        stats.packetsReceived = receiver.packetsReceived
        stats.octetsReceived = receiver.octetsReceived
        stats.packetsMalformed = receiver.packetsMalformed
        stats.packetsLost = receiver.sequence.lost
        stats.jitter = receiver.jitter.jitter
        return stats
    }

    /// Counters, from any thread.
    public func statistics() -> EventLoopFuture<MediaSessionStats> {
        eventLoop.submit { self.stats }
    }

    /// The address packets are sent to (the signalled one, or the learned one). On the loop.
    public var remoteAddress: SocketAddress? {
        eventLoop.preconditionInEventLoop()
        return remote
    }

    /// Stops sending, closes both sockets and returns the ports to the engine.
    public func close() -> EventLoopFuture<Void> {
        if eventLoop.inEventLoop { return closeOnLoop() }
        return eventLoop.flatSubmit { [self] in closeOnLoop() }
    }

    private func closeOnLoop() -> EventLoopFuture<Void> {
        if let closeFuture { return closeFuture }
        if state == .started, let remoteRTCP {
            sendRTCP(to: remoteRTCP, bye: true)
        }
        state = .closed
        clock.unregister(self)
        queue = []
        currentPayload = []
        playbackToken = nil
        finishedTokens = []
        onDigit = nil
        onPlaybackFinished = nil
        let attached = attachment
        attachment = nil
        attached?.sessionClosed()
        rtpHandler.onEvent = nil
        rtcpHandler.onPackets = nil
        let future = rtpChannel.close().and(rtcpChannel.close()).map { _ in () }
            .flatMapErrorThrowing { error in
                if let error = error as? ChannelError, error == .alreadyClosed { return }
                throw error
            }
        future.whenComplete { [onClose] _ in onClose() }
        closeFuture = future
        return future
    }

    // MARK: receiving

    private func handle(_ event: MediaReceiver.Event) {
        switch event {
        case .digit(let digit, let source):
            onDigit?(digit, source)
            attachment?.sessionReceivedDigit(digit, source: source)
        case .remoteLearned(let address):
            logger.debug("symmetric RTP: sending to the source of received media", metadata: [
                "signalled": "\(remote.map { "\($0)" } ?? "none")", "learned": "\(address)"])
            remote = address
            if !rtcpLearned, let port = address.port {
                var rtcp = address
                rtcp.port = port + 1
                remoteRTCP = rtcp
            }
        }
    }

    private func handle(rtcp packets: [RTCPPacket], from source: SocketAddress) {
        statsStorage.rtcpPacketsReceived += 1
        if !rtcpLearned, state == .started {
            rtcpLearned = true
            remoteRTCP = source
        }
        for packet in packets {
            switch packet {
            case .senderReport(let report):
                statsStorage.lastRTCP = packet
                lastSenderReportReceived = (report.ntpTimestamp.middle32, NIODeadline.now())
            case .receiverReport:
                statsStorage.lastRTCP = packet
            case .other:
                continue
            }
        }
    }

    // MARK: the clock's side (on the loop, once per 20 ms frame)

    /// Writes this frame's packet(s) into `buffer` and appends their lengths.
    func writePackets(into buffer: inout ByteBuffer, lengths: inout [Int]) -> Int {
        guard state == .started, remote != nil else { return 0 }
        defer {
            timestamp &+= UInt32(G711.samplesPerFrame)
            framesUntilReport -= 1
            if framesUntilReport <= 0 {
                framesUntilReport = MediaSession.reportIntervalFrames
                if let remoteRTCP { sendRTCP(to: remoteRTCP, bye: false) }
            }
        }
        if digitInProgress == nil, !digitQueue.isEmpty, telephoneEventPayloadType != nil {
            digitInProgress = DigitInProgress(steps: digitQueue.removeFirst().steps, timestamp: timestamp)
        } else if telephoneEventPayloadType == nil, !digitQueue.isEmpty {
            logger.warning("peer offered no telephone-event; digits not sent", metadata: ["count": "\(digitQueue.count)"])
            digitQueue.removeAll()
        }
        if var digit = digitInProgress, let eventType = telephoneEventPayloadType {
            var count = 0
            while digit.next < digit.steps.count, digit.steps[digit.next].offsetMilliseconds <= digit.elapsedMilliseconds {
                let step = digit.steps[digit.next]
                let start = buffer.writerIndex
                RTPPacket.writeHeader(into: &buffer, marker: step.marker, payloadType: eventType,
                                      sequenceNumber: sequenceNumber, timestamp: digit.timestamp, ssrc: ssrc)
                let event = step.event
                buffer.writeMultipleIntegers(event.event, (event.isEnd ? 0x80 : 0) | event.volume, event.duration)
                lengths.append(buffer.writerIndex - start)
                sequenceNumber &+= 1
                statsStorage.packetsSent += 1
                statsStorage.octetsSent += UInt64(TelephoneEvent.payloadLength)
                digit.next += 1
                count += 1
            }
            digit.elapsedMilliseconds += 20
            attachment?.sessionSkippedFrame(playing: playbackToken)
            if digit.next == digit.steps.count {
                digitInProgress = nil
                marker = true  // audio resumes: a new talkspurt
            } else {
                digitInProgress = digit
            }
            return count
        }
        let start = buffer.writerIndex
        RTPPacket.writeHeader(into: &buffer, marker: marker, payloadType: payloadType,
                              sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc)
        marker = false
        if playbackToken != nil, promptIndex < queue.count {
            let offset = frameIndex * G711.samplesPerFrame
            _ = currentPayload.withUnsafeBytes { bytes in
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + G711.samplesPerFrame)]))
            }
            attachment?.sessionSkippedFrame(playing: playbackToken)
            advancePlayback()
        } else if playbackToken == nil, let attachment, attachment.sessionWriteFrame(into: &buffer, law: law) {
            // Bridged or conferenced audio, under this session's own SSRC, sequence and timestamps.
        } else {
            if playbackToken != nil { attachment?.sessionSkippedFrame(playing: playbackToken) }
            buffer.writeRepeatingByte(law.silenceByte, count: G711.samplesPerFrame)
            if let token = playbackToken {  // an empty play([])
                playbackToken = nil
                finishedTokens.append(token)
            }
        }
        lengths.append(buffer.writerIndex - start)
        sequenceNumber &+= 1
        statsStorage.packetsSent += 1
        statsStorage.octetsSent += UInt64(G711.samplesPerFrame)
        return 1
    }

    private func advancePlayback() {
        frameIndex += 1
        while promptIndex < queue.count, frameIndex >= queue[promptIndex].frameCount {
            promptIndex += 1
            frameIndex = 0
            currentPayload = promptIndex < queue.count ? queue[promptIndex].payload(law) : []
        }
        if promptIndex >= queue.count, let token = playbackToken {
            playbackToken = nil
            queue = []
            finishedTokens.append(token)
        }
    }

    /// Reads what arrived on the RTP socket since the last read (`RTPReceiveBatch`): the
    /// clock calls it every tick, or every third for a session that relays nothing
    /// (`MediaClock.sparseReadTicks`). A session whose channel NIO
    /// reads (no `rtpSocket`: tests) gets its packets through `RTPInboundHandler` instead.
    func receivePending(with batch: RTPReceiveBatch) {
        // Active: the descriptor is still this socket's (see `RTPSocket`).
        guard let rtpSocket, state != .closed, rtpChannel.isActive else { return }
        let result = batch.receiveAll(from: rtpSocket.descriptor, sources: &sources) { bytes, source, arrival in
            rtpHandler.receive(bytes, from: source, arrivalNanoseconds: arrival)
        }
        if case .failure(let error) = result, !toldReceiveFailure {
            // A UDP socket reports transient errors (ICMP unreachable…); media goes on.
            toldReceiveFailure = true
            logger.debug("RTP not read", metadata: ["error": "\(error)"])
        }
    }

    func transmit(_ packet: ByteBuffer) {
        guard let remote else { return }
        if let rtpSocket {
            // Active: the descriptor is still this socket's (see `RTPSocket`).
            guard rtpChannel.isActive else {
                statsStorage.packetsDropped += 1
                return
            }
            if let error = rtpSocket.send(packet, to: remote) {
                statsStorage.packetsDropped += 1
                // As NIO's write path did (a debug line per error), but once per session.
                if !toldSendFailure {
                    toldSendFailure = true
                    logger.debug("RTP not sent", metadata: ["to": "\(remote)", "error": "\(IOError(errnoCode: error, reason: "sendto"))"])
                }
            }
            return
        }
        guard rtpChannel.isWritable else {
            statsStorage.packetsDropped += 1
            return
        }
        rtpChannel.write(AddressedEnvelope(remoteAddress: remote, data: packet), promise: nil)
        needsFlush = true
    }

    func flush() {
        needsFlush = false
        rtpChannel.flush()
    }

    var hasDeferredEvents: Bool { !finishedTokens.isEmpty }

    func deliverDeferredEvents() {
        let tokens = finishedTokens
        finishedTokens.removeAll()
        for token in tokens where state != .closed {
            onPlaybackFinished?(token)
        }
    }

    /// SR + SDES CNAME (+ BYE when closing): the compound packet of RFC 3550 §6.1.
    private func sendRTCP(to address: SocketAddress, bye: Bool) {
        var buffer = rtcpChannel.allocator.buffer(capacity: 128)
        var blocks: [RTCPReportBlock] = []
        if let sourceSSRC = rtpHandler.receiver.sequence.ssrc {
            let fraction = rtpHandler.receiver.fractionLostSinceLastReport()
            let tracker = rtpHandler.receiver.sequence
            var delay: UInt32 = 0
            if let last = lastSenderReportReceived {
                delay = UInt32(clamping: (NIODeadline.now() - last.at).nanoseconds * 65536 / 1_000_000_000)
            }
            blocks.append(RTCPReportBlock(
                ssrc: sourceSSRC, fractionLost: fraction, cumulativeLost: Int32(clamping: tracker.lost),
                extendedHighestSequence: tracker.extendedHighestSequence, jitter: rtpHandler.receiver.jitter.jitter,
                lastSenderReport: lastSenderReportReceived?.middle ?? 0, delaySinceLastSenderReport: delay))
        }
        let report = RTCPSenderReport(
            ssrc: ssrc, date: Date(), rtpTimestamp: timestamp,
            packetCount: UInt32(truncatingIfNeeded: statsStorage.packetsSent),
            octetCount: UInt32(truncatingIfNeeded: statsStorage.octetsSent), reportBlocks: blocks)
        report.write(into: &buffer)
        RTCPSourceDescription.writeCNAME(ssrc: ssrc, cname: cname, into: &buffer)
        if bye {
            buffer.writeMultipleIntegers(UInt8(0x81), UInt8(203), UInt16(1), ssrc)
        }
        rtcpChannel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: buffer), promise: nil)
        statsStorage.rtcpReportsSent += 1
    }
}
