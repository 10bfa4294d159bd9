import IVR
import NIOCore

/// The interpreter's timers of one leg (`collect`'s time-outs, a menu's wait), armed on
/// the SIP loop: the interpreter asks for them as actions and hears them fire as events.
/// Tests drive the loop's clock (`EmbeddedEventLoop.advanceTime`).
final class LegTimers: @unchecked Sendable {
    let loop: any EventLoop
    private var scheduled: [TimerID: Scheduled<Void>] = [:]

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// (Re)arms `id`; `fire` runs on the loop unless the timer was cancelled first.
    func start(_ id: TimerID, milliseconds: Int, fire: @escaping (TimerID) -> Void) {
        scheduled.removeValue(forKey: id)?.cancel()
        let fire = LoopConfined(fire)
        scheduled[id] = loop.scheduleTask(in: .milliseconds(Int64(milliseconds))) { [weak self] in
            guard let self, self.scheduled.removeValue(forKey: id) != nil else { return }
            fire.body(id)
        }
    }

    func cancel(_ id: TimerID) {
        scheduled.removeValue(forKey: id)?.cancel()
    }

    func cancelAll() {
        for timer in scheduled.values { timer.cancel() }
        scheduled.removeAll()
    }
}

/// A closure made and called on the SIP loop only, carried by a task scheduled there.
private struct LoopConfined: @unchecked Sendable {
    let body: (TimerID) -> Void
    init(_ body: @escaping (TimerID) -> Void) { self.body = body }
}
