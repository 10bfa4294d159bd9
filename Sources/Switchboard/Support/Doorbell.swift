import Synchronization

/// The wake-up of a loop that sleeps between looks at its work (the callback queue, the
/// SMS outbox): `ring` ends the sleep in progress at once, or the next one if none is in
/// progress; otherwise a sleep lasts its duration, or until its task is cancelled. A
/// sleeping loop costs nothing until then: the SMS outbox used to look for a ring every
/// 20 ms, fifty wake-ups a second for as long as the server ran.
final class Doorbell: Sendable {
    private struct State {
        var rung = false
        var waiter: CheckedContinuation<Void, Never>?
        /// Which sleep `waiter` is, so that an alarm of an earlier sleep ends nothing.
        var sleepNumber: UInt64 = 0
        var alarm: Task<Void, Never>?
    }

    private let state = Mutex(State())

    func ring() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.alarm?.cancel()
            state.alarm = nil
            guard let waiter = state.waiter else {
                state.rung = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    func sleep(for duration: Duration) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let wakeNow = state.withLock { state -> Bool in
                    if state.rung || Task.isCancelled {
                        state.rung = false
                        return true
                    }
                    state.sleepNumber &+= 1
                    let number = state.sleepNumber
                    state.waiter = continuation
                    state.alarm = Task { [weak self] in
                        do { try await Task.sleep(for: duration) } catch { return }
                        self?.alarmRang(for: number)
                    }
                    return false
                }
                if wakeNow { continuation.resume() }
            }
        } onCancel: {
            ring()
        }
    }

    private func alarmRang(for number: UInt64) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard state.sleepNumber == number, let waiter = state.waiter else { return nil }
            state.waiter = nil
            state.alarm = nil
            return waiter
        }
        waiter?.resume()
    }
}
