import Synchronization

/// Counts of what the fraud guards refused, for `/metrics`: PIN entries refused by a
/// lockout, callback triggers refused (dropped, not queued, digest refused). Shared by the
/// service desk, the trigger desk and the router; lock-free.
public final class SecurityCounters: Sendable {
    private let pinLockoutsCount = Atomic<Int>(0)
    private let refusedTriggersCount = Atomic<Int>(0)
    private let pinFailuresCount = Atomic<Int>(0)

    public init() {}

    public func pinLockout() { pinLockoutsCount.add(1, ordering: .relaxed) }
    public func pinFailure() { pinFailuresCount.add(1, ordering: .relaxed) }
    public func refusedTrigger() { refusedTriggersCount.add(1, ordering: .relaxed) }

    public var pinLockouts: Int { pinLockoutsCount.load(ordering: .relaxed) }
    public var pinFailures: Int { pinFailuresCount.load(ordering: .relaxed) }
    public var refusedTriggers: Int { refusedTriggersCount.load(ordering: .relaxed) }
}
