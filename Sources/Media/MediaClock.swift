import NIOCore

/// The 20 ms heartbeat of all media sessions on one event loop.
///
/// One repeated task per loop (not one timer per call): each tick first reads the
/// registered sessions' RTP sockets (`MediaSession.receivePending`; those that relay
/// nothing every third tick, `sparseReadTicks`), then every session
/// writes its next packet into one shared buffer and sends it from there (`RTPSocket`),
/// with no allocation per packet. Frames due are computed from elapsed time since the clock started,
/// so a late tick catches up (up to `maximumCatchUpFrames`, beyond which frames are
/// skipped rather than burst at the peer) instead of drifting.
///
/// Bridges and conferences ride on the same tick: a conference registers as an
/// observer and mixes at the start of each frame, before the sessions write theirs;
/// audio relayed to a session on another loop is collected in one `MediaHandoffBatch`
/// per destination loop and shipped at the end of the tick (see that type for why no
/// lock is needed).
///
/// Confined to `eventLoop`; created lazily by `MediaEngine`, one per loop.
final class MediaClock: @unchecked Sendable {
    static let frameInterval = TimeAmount.milliseconds(20)
    static let maximumCatchUpFrames: Int64 = 5
    /// A session that relays no audio (an IVR leg: what it receives reaches no other party,
    /// only its own digit detection and statistics) is read every third tick, its sessions
    /// spread over the three: one `recvmmsg` takes three packets instead of one, and the
    /// per-call kernel work of a read was half of its cost (issue 19). A digit is heard up
    /// to 40 ms later. Bridge legs and conference parties are read every tick.
    static let sparseReadTicks = 3

    let eventLoop: any EventLoop
    private var sessions: [MediaSession] = []
    private var task: RepeatedTask?
    private var origin = NIODeadline.uptimeNanoseconds(0)
    private var framesDone: Int64 = 0
    /// The phase whose sparse sessions this tick reads, and the phase the next session gets.
    private var readPhase = 0
    private var nextReadPhase = 0
    private(set) var framesSkipped: Int64 = 0
    private var slab: ByteBuffer
    private let receiveBatch = RTPReceiveBatch()
    private var lengths: [Int] = []
    private var observers: [any MediaClockObserver] = []
    private var outboxes: [ObjectIdentifier: Outbox] = [:]
    /// Relayed packets dropped because a handoff batch was full.
    private(set) var handoffsDropped = 0

    /// The time source; tests pass a fake one and call `tick(now:)` themselves.
    private let now: @Sendable () -> NIODeadline

    init(eventLoop: any EventLoop, now: @escaping @Sendable () -> NIODeadline = { NIODeadline.now() }) {
        self.eventLoop = eventLoop
        self.now = now
        self.slab = ByteBufferAllocator().buffer(capacity: 64 * 1024)
    }

    var sessionCount: Int { sessions.count }
    var isRunning: Bool { task != nil }
    /// Frames produced since the clock (re)started.
    var frameNumber: Int64 { framesDone }

    func register(_ session: MediaSession) {
        eventLoop.preconditionInEventLoop()
        guard session.clockIndex == nil else { return }
        session.clockIndex = sessions.count
        session.readPhase = nextReadPhase
        nextReadPhase = (nextReadPhase + 1) % MediaClock.sparseReadTicks
        sessions.append(session)
        startIfNeeded()
    }

    /// Adds a per-frame observer (a conference's mixer); it keeps the clock running.
    func addObserver(_ observer: any MediaClockObserver) {
        eventLoop.preconditionInEventLoop()
        guard !observers.contains(where: { $0 === observer }) else { return }
        observers.append(observer)
        startIfNeeded()
    }

    func removeObserver(_ observer: any MediaClockObserver) {
        eventLoop.preconditionInEventLoop()
        observers.removeAll { $0 === observer }
        stopIfIdle()
    }

    /// Queues relayed audio for `target`, which lives on `destination`'s loop; it is
    /// shipped at the end of this clock's current or next tick.
    func handoff(_ payload: UnsafeRawBufferPointer, to target: any MediaRelayTarget, on destination: MediaClock,
                 timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        let key = ObjectIdentifier(destination)
        let outbox: Outbox
        if let existing = outboxes[key] {
            outbox = existing
        } else {
            outbox = Outbox(destination: destination)
            outboxes[key] = outbox
        }
        outbox.batch.append(payload, to: target, timestamp: timestamp, ssrc: ssrc, law: law)
    }

    /// Ships every non-empty batch to its loop and starts a fresh one (the shipped batch
    /// now belongs to the destination).
    private func shipHandoffs() {
        for outbox in outboxes.values where !outbox.batch.isEmpty {
            let batch = outbox.batch
            handoffsDropped += batch.dropped
            outbox.batch = MediaHandoffBatch()
            outbox.destination.eventLoop.execute { batch.deliver() }
        }
    }

    /// The batch being filled for one destination loop.
    private final class Outbox {
        let destination: MediaClock
        var batch = MediaHandoffBatch()

        init(destination: MediaClock) {
            self.destination = destination
        }
    }

    private func startIfNeeded() {
        guard task == nil else { return }
        origin = now()
        framesDone = 0
        task = eventLoop.scheduleRepeatedTask(initialDelay: MediaClock.frameInterval,
                                              delay: MediaClock.frameInterval) { [self] _ in
            self.tick(now: self.now())
        }
    }

    private func stopIfIdle() {
        if sessions.isEmpty, observers.isEmpty {
            task?.cancel()
            task = nil
        }
    }

    func unregister(_ session: MediaSession) {
        eventLoop.preconditionInEventLoop()
        guard let index = session.clockIndex else { return }
        let last = sessions.removeLast()
        if index < sessions.count {
            sessions[index] = last
            last.clockIndex = index
        }
        session.clockIndex = nil
        stopIfIdle()
    }

    /// Reads what arrived for every session, then sends every frame due at `now`. Internal
    /// so tests can drive it with chosen times.
    func tick(now: NIODeadline) {
        receivePending()
        let elapsedFrames = (now - origin).nanoseconds / MediaClock.frameInterval.nanoseconds
        var due = elapsedFrames - framesDone
        guard due > 0 else { return }
        if due > MediaClock.maximumCatchUpFrames {
            framesSkipped += due - MediaClock.maximumCatchUpFrames
            framesDone += due - MediaClock.maximumCatchUpFrames
            due = MediaClock.maximumCatchUpFrames
        }
        for _ in 0..<due {
            framesDone += 1
            produceFrame()
        }
        let snapshot = sessions
        for session in snapshot where session.needsFlush {
            session.flush()
        }
        shipHandoffs()
        // Callbacks last: they may play, stop or close sessions, which changes `sessions`.
        for session in snapshot where session.hasDeferredEvents {
            session.deliverDeferredEvents()
        }
    }

    /// Received audio first: a bridge relays it and a conference mixes it in this tick's
    /// frame. What a packet sets off (a digit, a learned address) runs now, as it did when
    /// NIO read the packet; it may close sessions, hence the snapshot.
    private func receivePending() {
        readPhase = (readPhase + 1) % MediaClock.sparseReadTicks
        let snapshot = sessions
        for session in snapshot where session.readPhase == readPhase || session.relaysAudio {
            session.receivePending(with: receiveBatch)
        }
    }

    private func produceFrame() {
        // Unique again once last tick's datagrams left the socket: then no allocation.
        slab.clear()
        lengths.removeAll(keepingCapacity: true)
        // Mixers first: the frames they produce are sent by the sessions below.
        for observer in observers {
            observer.clockWillProduceFrame()
        }
        // Each session's packets leave as soon as it wrote them: no list of owners to retain
        // and release per packet.
        for session in sessions {
            let count = session.writePackets(into: &slab, lengths: &lengths)
            for index in lengths.count - count..<lengths.count {
                session.transmit(slab.readSlice(length: lengths[index])!)
            }
        }
    }
}
