import Foundation

/// The time source of a call's billing: what time it is, and "run this at T". The server
/// uses `SystemBillingClock`; tests use a fake one they advance by hand, so cuts and
/// heartbeats are checked at exact instants without sleeping.
protocol BillingClock: Sendable {
    func now() -> Date
    /// Runs `action` once at `deadline` (at once if it has passed) unless cancelled first.
    func schedule(at deadline: Date, _ action: @escaping @Sendable () async -> Void) -> any BillingTimer
}

/// A scheduled action that can still be called off.
protocol BillingTimer: Sendable {
    func cancel()
}

/// Wall-clock time and `Task.sleep`.
struct SystemBillingClock: BillingClock {
    func now() -> Date { Date() }

    func schedule(at deadline: Date, _ action: @escaping @Sendable () async -> Void) -> any BillingTimer {
        let wait = max(0, deadline.timeIntervalSinceNow)
        let task = Task {
            try? await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up))))
            guard !Task.isCancelled else { return }
            await action()
        }
        return SystemBillingTimer(task: task)
    }
}

private struct SystemBillingTimer: BillingTimer {
    let task: Task<Void, Never>
    func cancel() { task.cancel() }
}
