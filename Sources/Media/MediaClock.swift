import NIOCore

/// The 20 ms heartbeat of all media sessions on one event loop.
///
/// One repeated task per loop (not one timer per call): each tick every registered
/// session writes its next packet into one shared buffer, the packets are handed to
/// their channels as slices of it, and each channel is flushed once, so the loop
/// sends a tick's datagrams in batches (NIO uses `sendmmsg`) with one allocation per
/// tick at most. Frames due are computed from elapsed time since the clock started,
/// so a late tick catches up (up to `maximumCatchUpFrames`, beyond which frames are
/// skipped rather than burst at the peer) instead of drifting.
///
/// Confined to `eventLoop`; created lazily by `MediaEngine`, one per loop.
final class MediaClock: @unchecked Sendable {
    static let frameInterval = TimeAmount.milliseconds(20)
    static let maximumCatchUpFrames: Int64 = 5

    let eventLoop: any EventLoop
    private var sessions: [MediaSession] = []
    private var task: RepeatedTask?
    private var origin = NIODeadline.uptimeNanoseconds(0)
    private var framesDone: Int64 = 0
    private(set) var framesSkipped: Int64 = 0
    private var slab: ByteBuffer
    private var lengths: [Int] = []
    private var owners: [MediaSession] = []

    /// The time source; tests pass a fake one and call `tick(now:)` themselves.
    private let now: @Sendable () -> NIODeadline

    init(eventLoop: any EventLoop, now: @escaping @Sendable () -> NIODeadline = { NIODeadline.now() }) {
        self.eventLoop = eventLoop
        self.now = now
        self.slab = ByteBufferAllocator().buffer(capacity: 64 * 1024)
    }

    var sessionCount: Int { sessions.count }
    var isRunning: Bool { task != nil }

    func register(_ session: MediaSession) {
        eventLoop.preconditionInEventLoop()
        guard session.clockIndex == nil else { return }
        session.clockIndex = sessions.count
        sessions.append(session)
        if task == nil {
            origin = now()
            framesDone = 0
            task = eventLoop.scheduleRepeatedTask(initialDelay: MediaClock.frameInterval,
                                                  delay: MediaClock.frameInterval) { [self] _ in
                self.tick(now: self.now())
            }
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
        if sessions.isEmpty {
            task?.cancel()
            task = nil
        }
    }

    /// Sends every frame due at `now`. Internal so tests can drive it with chosen times.
    func tick(now: NIODeadline) {
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
        // Callbacks last: they may play, stop or close sessions, which changes `sessions`.
        for session in snapshot where session.hasDeferredEvents {
            session.deliverDeferredEvents()
        }
    }

    private func produceFrame() {
        // Unique again once last tick's datagrams left the socket: then no allocation.
        slab.clear()
        lengths.removeAll(keepingCapacity: true)
        owners.removeAll(keepingCapacity: true)
        for session in sessions {
            let count = session.writePackets(into: &slab, lengths: &lengths)
            for _ in 0..<count { owners.append(session) }
        }
        for index in 0..<lengths.count {
            let packet = slab.readSlice(length: lengths[index])!
            owners[index].transmit(packet)
        }
        owners.removeAll(keepingCapacity: true)
    }
}
