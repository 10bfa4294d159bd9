import Foundation
@testable import Switchboard

/// A `BillingClock` that moves only when the test says: `advance(to:)` runs every action
/// due by then, in time order, each at its own deadline, and waits for it to finish. No
/// sleeps, no wall clock.
final class FakeBillingClock: BillingClock, @unchecked Sendable {
    private final class Entry: @unchecked Sendable {
        let deadline: Date
        let order: Int
        let action: @Sendable () async -> Void
        var cancelled = false
        init(deadline: Date, order: Int, action: @escaping @Sendable () async -> Void) {
            self.deadline = deadline
            self.order = order
            self.action = action
        }
    }

    private struct Timer: BillingTimer {
        let clock: FakeBillingClock
        let entry: Entry
        func cancel() { clock.cancel(entry) }
    }

    private let lock = NSLock()
    private var time: Date
    private var entries: [Entry] = []
    private var scheduled = 0
    private var firedDeadlines: [Date] = []

    init(_ start: Date) { time = start }

    /// The time `now()` reads. Setting it moves time without running what falls due.
    var current: Date {
        get { lock.withLock { time } }
        set { lock.withLock { time = newValue } }
    }

    /// Deadlines armed and not yet run or cancelled, earliest first.
    var pendingDeadlines: [Date] {
        lock.withLock { entries.filter { !$0.cancelled }.map(\.deadline).sorted() }
    }

    /// Deadlines run so far, in order.
    var fired: [Date] { lock.withLock { firedDeadlines } }

    func now() -> Date { current }

    func schedule(at deadline: Date, _ action: @escaping @Sendable () async -> Void) -> any BillingTimer {
        let entry = lock.withLock {
            scheduled += 1
            let entry = Entry(deadline: deadline, order: scheduled, action: action)
            entries.append(entry)
            return entry
        }
        return Timer(clock: self, entry: entry)
    }

    /// Runs, in time order, every action due by `date` (including those they arm), then
    /// leaves the clock at `date`.
    func advance(to date: Date) async {
        while let entry = nextDue(by: date) {
            await entry.action()
        }
        current = max(current, date)
    }

    private func nextDue(by date: Date) -> Entry? {
        lock.withLock {
            entries.removeAll { $0.cancelled }
            guard let next = entries.filter({ $0.deadline <= date })
                .min(by: { ($0.deadline, $0.order) < ($1.deadline, $1.order) })
            else { return nil }
            entries.removeAll { $0 === next }
            time = max(time, next.deadline)
            firedDeadlines.append(next.deadline)
            return next
        }
    }

    private func cancel(_ entry: Entry) {
        lock.withLock { entry.cancelled = true }
    }
}
