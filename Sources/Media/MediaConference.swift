import NIOCore

/// An N-party G.711 conference: every participant hears the sum of the others (and of
/// any prompt played into the conference), never itself.
///
/// **The tick.** The conference belongs to one event loop and rides on that loop's
/// `MediaClock`: at the start of every 20 ms frame, before the sessions send, it reads
/// each participant's next frame from a small jitter/reorder buffer
/// (`RTPPlayoutBuffer`, one frame of delay), decodes it, mixes with `ConferenceMixer`
/// (Int32 sums, own contribution subtracted, saturated to 16 bits) and encodes each
/// participant's result in that participant's law. The result goes into the
/// participant's own playout buffer, which its session sends from in the same tick
/// (same loop) or at its next tick (other loop), under the session's own SSRC,
/// sequence numbers and timestamps.
///
/// **Event loops.** A participant's session may live on another loop. What it receives
/// then travels to the conference's loop, and its mix travels back, in the per-tick
/// `MediaHandoffBatch` of each clock (one `execute` per pair of loops per tick, no lock
/// per packet), with two frames of playout delay on each side instead of one and zero.
/// Opening the legs of one conference on one loop (`openSession(on: conference.eventLoop)`)
/// avoids both hops.
///
/// **Membership.** Participants join and leave at any time, up to
/// `maximumParticipants`; closing a participant's session leaves by itself, and nobody
/// else is affected. Digits of each participant are reported by its own session
/// (`onDigit`) as always.
///
/// **Prompts.** `play(_:token:)` mixes prompts into what everybody hears (a join tone,
/// "the call will end in one minute"); `onPlaybackFinished` reports their end.
/// `play(_:to:token:)` plays to one participant only, who hears the prompt instead of
/// the conference meanwhile while the others keep hearing them.
public final class MediaConference: MediaClockObserver, @unchecked Sendable {
    public let eventLoop: any EventLoop
    public let maximumParticipants: Int

    /// Called on the loop when a prompt played with `play(_:token:)` has been mixed in
    /// completely (not for one replaced or stopped).
    public var onPlaybackFinished: ((UInt64) -> Void)? {
        didSet { eventLoop.preconditionInEventLoop() }
    }

    let clock: MediaClock
    private var members: [ConferenceParticipant] = []
    private var freeSlots: [Int]
    private var reserved = 0
    private var closed = false
    private var observing = false
    private var mixer: ConferenceMixer
    private let ssrc: UInt32
    private var timestamp: UInt32
    private var encoded = [UInt8](repeating: 0, count: G711.samplesPerFrame)

    // Prompts played into the conference.
    private var queue: [Prompt] = []
    private var promptIndex = 0
    private var frameIndex = 0
    private var playbackToken: UInt64?
    private var promptSamples = [Int16](repeating: 0, count: G711.samplesPerFrame)

    init(clock: MediaClock, maximumParticipants: Int) {
        precondition(maximumParticipants > 0, "a conference has room for at least one participant")
        self.clock = clock
        self.eventLoop = clock.eventLoop
        self.maximumParticipants = maximumParticipants
        self.freeSlots = Array((0..<maximumParticipants).reversed())
        self.mixer = ConferenceMixer(capacity: maximumParticipants)
        var generator = SystemRandomNumberGenerator()
        self.ssrc = generator.next()
        self.timestamp = generator.next()
    }

    /// Participants now (joined, not yet left). On the loop.
    public var participantCount: Int {
        eventLoop.preconditionInEventLoop()
        return members.count
    }

    /// Participants now, from any thread.
    public func participants() -> EventLoopFuture<Int> {
        eventLoop.submit { self.members.count }
    }

    /// Adds `session`: from the next tick it hears the others and they hear it. Fails
    /// with `MediaError.conferenceFull`, `.alreadyAttached` (in a bridge or another
    /// conference), `.sessionClosed` or `.conferenceClosed`. Completes on the
    /// conference's loop.
    public func join(_ session: MediaSession) -> EventLoopFuture<Void> {
        eventLoop.flatSubmit { [self] in
            guard !closed else { return eventLoop.makeFailedFuture(MediaError.conferenceClosed) }
            guard members.count + reserved < maximumParticipants else {
                return eventLoop.makeFailedFuture(MediaError.conferenceFull(maximumParticipants: maximumParticipants))
            }
            reserved += 1
            let sameLoop = session.eventLoop === eventLoop
            let inlet = ConferenceInlet(delayFrames: sameLoop ? 1 : 2)
            return session.eventLoop.submit { () throws -> ConferenceParticipant in
                guard !session.isClosed else { throw MediaError.sessionClosed(localPort: session.localPort) }
                guard session.attachment == nil else { throw MediaError.alreadyAttached(localPort: session.localPort) }
                let participant = ConferenceParticipant(session: session, conference: self, inlet: inlet,
                                                        law: session.currentLaw, outletDelayFrames: sameLoop ? 0 : 2)
                participant.attach()
                return participant
            }
            .hop(to: eventLoop)
            .flatMapError { error in
                self.reserved -= 1
                return self.eventLoop.makeFailedFuture(error)
            }
            .flatMapThrowing { participant in
                self.reserved -= 1
                guard !self.closed, let slot = self.freeSlots.popLast() else {
                    participant.session.eventLoop.execute { participant.detach() }
                    throw MediaError.conferenceClosed
                }
                participant.slot = slot
                self.members.append(participant)
                self.observeIfNeeded()
            }
        }
    }

    /// Removes `session` (it goes back to its own playback). Harmless when it is not a
    /// participant. Completes on the conference's loop.
    public func leave(_ session: MediaSession) -> EventLoopFuture<Void> {
        session.eventLoop.submit { () -> ConferenceParticipant? in
            guard let participant = session.attachment as? ConferenceParticipant,
                  participant.conference === self else { return nil }
            participant.detach()
            return participant
        }
        .hop(to: eventLoop)
        .map { participant in
            if let participant { self.remove(participant) }
        }
    }

    /// Mixes `prompts` into what every participant hears, replacing any playing.
    public func play(_ prompts: [Prompt], token: UInt64) {
        let prompts = prompts.filter { $0.frameCount > 0 }
        onLoop { [self] in
            guard !closed else { return }
            queue = prompts
            promptIndex = 0
            frameIndex = 0
            playbackToken = token
            observeIfNeeded()
        }
    }

    /// Stops the conference prompt (no `onPlaybackFinished`).
    public func stopPlayback() {
        onLoop { [self] in
            queue = []
            playbackToken = nil
            stopObservingIfIdle()
        }
    }

    /// Plays `prompts` to one participant only (its session's `play`): it hears them
    /// instead of the conference, and its `onPlaybackFinished` reports the end; the
    /// others still hear it.
    public func play(_ prompts: [Prompt], to session: MediaSession, token: UInt64) {
        session.play(prompts, token: token)
    }

    /// Removes every participant and stops mixing; later joins fail.
    public func close() -> EventLoopFuture<Void> {
        eventLoop.submit { [self] in
            closed = true
            for participant in members {
                participant.session.eventLoop.execute { participant.detach() }
            }
            members = []
            freeSlots = Array((0..<maximumParticipants).reversed())
            queue = []
            playbackToken = nil
            stopObservingIfIdle()
        }
    }

    private func onLoop(_ body: @escaping @Sendable () -> Void) {
        if eventLoop.inEventLoop { body() } else { eventLoop.execute(body) }
    }

    /// On the loop: a participant whose session closed, or that left.
    func remove(_ participant: ConferenceParticipant) {
        eventLoop.preconditionInEventLoop()
        guard let index = members.firstIndex(where: { $0 === participant }) else { return }
        members.remove(at: index)
        if let slot = participant.slot { freeSlots.append(slot) }
        participant.slot = nil
        participant.inlet.isActive = false
        stopObservingIfIdle()
    }

    private func observeIfNeeded() {
        guard !observing, !members.isEmpty || playbackToken != nil else { return }
        observing = true
        clock.addObserver(self)
    }

    private func stopObservingIfIdle() {
        guard observing, members.isEmpty, playbackToken == nil else { return }
        observing = false
        clock.removeObserver(self)
    }

    // MARK: the clock's side (on the loop, once per 20 ms frame)

    func clockWillProduceFrame() {
        defer { timestamp &+= UInt32(G711.samplesPerFrame) }
        mixer.beginFrame()
        for participant in members {
            guard let slot = participant.slot else { continue }
            participant.inlet.buffer.read { frame, law in
                mixer.setInput(slot, encoded: frame, law: law)
            }
        }
        let prompting = nextPromptFrame()
        guard prompting || mixer.anyInput else { return }  // all silent: the sessions send silence
        if prompting {
            promptSamples.withUnsafeBufferPointer { mixer.mix(common: $0) }
        } else {
            mixer.mix()
        }
        for participant in members {
            guard let slot = participant.slot else { continue }
            let law = participant.law
            mixer.output(for: slot) { samples in
                encoded.withUnsafeMutableBytes { G711.encode(samples, law, into: $0) }
            }
            encoded.withUnsafeBytes { frame in
                if participant.sameLoop {
                    participant.relayAudio(frame, timestamp: timestamp, ssrc: ssrc, law: law)
                } else {
                    clock.handoff(frame, to: participant, on: participant.session.clock,
                                  timestamp: timestamp, ssrc: ssrc, law: law)
                }
            }
        }
    }

    /// Decodes the prompt's next frame into `promptSamples`; false when none plays.
    private func nextPromptFrame() -> Bool {
        guard let token = playbackToken else { return false }
        guard promptIndex < queue.count else {
            finish(token)
            return false
        }
        let start = frameIndex * G711.samplesPerFrame
        queue[promptIndex].payload(.ulaw).withUnsafeBytes { bytes in
            promptSamples.withUnsafeMutableBufferPointer { samples in
                G711.decode(UnsafeRawBufferPointer(rebasing: bytes[start..<(start + G711.samplesPerFrame)]), .ulaw,
                            into: samples)
            }
        }
        frameIndex += 1
        if frameIndex == queue[promptIndex].frameCount {
            frameIndex = 0
            promptIndex += 1
            if promptIndex == queue.count { finish(token) }
        }
        return true
    }

    private func finish(_ token: UInt64) {
        playbackToken = nil
        queue = []
        // Delivered after the tick: the callback may join, leave or play.
        eventLoop.execute { [self] in
            onPlaybackFinished?(token)
            stopObservingIfIdle()
        }
    }
}
