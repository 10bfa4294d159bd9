import NIOCore

/// One side of a `MediaBridge`: plugged into its session, it relays what the session
/// receives to the peer leg and feeds the session what the peer leg received.
///
/// Confined to `session.eventLoop`, except `relayAudio`, which the peer leg calls on
/// this loop too (directly on a shared loop, else through a handoff batch). `peer` is
/// set before the leg is attached and cleared when it detaches, which breaks the
/// reference cycle between the two legs.
final class BridgeLeg: MediaSessionAttachment, MediaRelayTarget, @unchecked Sendable {
    let session: MediaSession
    let forwardTelephoneEvents: Bool
    var peer: BridgeLeg?
    private let sameLoop: Bool

    /// What the peer leg received, waiting to be sent by this leg.
    private var inbound: RTPPlayoutBuffer
    private(set) var isAttached = false
    /// Token of a prompt this leg hears alone; meanwhile its own audio is not relayed.
    private var exclusiveToken: UInt64?
    /// The peer hears a prompt alone: this leg hears `hold` (or silence) instead.
    private var peerExclusive = false
    private var hold = LoopingPlayback(prompts: [])

    init(session: MediaSession, peerLoop: any EventLoop, delayFrames: Int, forwardTelephoneEvents: Bool) {
        self.session = session
        self.sameLoop = session.eventLoop === peerLoop
        self.forwardTelephoneEvents = forwardTelephoneEvents
        self.inbound = RTPPlayoutBuffer(delayFrames: delayFrames)
    }

    var statistics: PlayoutStatistics { PlayoutStatistics(inbound) }

    func attach() throws {
        session.eventLoop.preconditionInEventLoop()
        guard !session.isClosed else { throw MediaError.sessionClosed(localPort: session.localPort) }
        guard session.attachment == nil else { throw MediaError.alreadyAttached(localPort: session.localPort) }
        inbound.reset()
        isAttached = true
        session.attachment = self
    }

    func detach() {
        session.eventLoop.preconditionInEventLoop()
        guard isAttached else { return }
        isAttached = false
        exclusiveToken = nil
        peerExclusive = false
        hold = LoopingPlayback(prompts: [])
        peer = nil
        if session.attachment === self {
            session.attachment = nil
        }
    }

    func playExclusively(_ prompts: [Prompt], token: UInt64, otherLegHears: MediaBridge.OtherLegHears) {
        session.eventLoop.preconditionInEventLoop()
        if isAttached, otherLegHears != .audio, let peer {
            exclusiveToken = token
            let hold: [Prompt]
            if case .hold(let prompts) = otherLegHears { hold = prompts } else { hold = [] }
            peer.session.eventLoop.execute { peer.peerStartedExclusive(hold: hold) }
        }
        session.play(prompts, token: token)
    }

    private func endExclusive() {
        exclusiveToken = nil
        guard let peer else { return }
        peer.session.eventLoop.execute { peer.peerEndedExclusive() }
    }

    private func peerStartedExclusive(hold prompts: [Prompt]) {
        guard isAttached else { return }
        peerExclusive = true
        hold = LoopingPlayback(prompts: prompts)
    }

    private func peerEndedExclusive() {
        peerExclusive = false
        hold = LoopingPlayback(prompts: [])
    }

    // MARK: MediaSessionAttachment (on this loop)

    func sessionReceivedAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        guard isAttached, exclusiveToken == nil, let peer else { return }
        if sameLoop {
            peer.relayAudio(payload, timestamp: timestamp, ssrc: ssrc, law: law)
        } else {
            session.clock.handoff(payload, to: peer, on: peer.session.clock, timestamp: timestamp, ssrc: ssrc, law: law)
        }
    }

    func sessionReceivedDigit(_ digit: Character, source: DTMFSource) {
        guard isAttached, forwardTelephoneEvents, source == .rfc4733, let peer else { return }
        peer.session.sendDigit(digit)
    }

    func sessionWriteFrame(into buffer: inout ByteBuffer, law: G711Law) -> Bool {
        if exclusiveToken != nil { endExclusive() }  // the prompt ended or was stopped
        if peerExclusive {
            inbound.skip()
            return hold.writeFrame(into: &buffer, law: law)
        }
        return inbound.read { frame, frameLaw in
            G711.write(frame, from: frameLaw, to: law, into: &buffer)
        }
    }

    func sessionSkippedFrame(playing token: UInt64?) {
        inbound.skip()
        if let exclusive = exclusiveToken, token != exclusive { endExclusive() }  // replaced by another play
    }

    func sessionClosed() {
        isAttached = false
        exclusiveToken = nil
        guard let peer else { return }
        self.peer = nil
        peer.session.eventLoop.execute { peer.detach() }
    }

    // MARK: MediaRelayTarget (on this loop)

    func relayAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        guard isAttached, !peerExclusive else { return }
        inbound.write(payload, timestamp: timestamp, ssrc: ssrc, law: law)
    }
}
