import Synchronization

/// Counts of what the fraud guards refused, for `/metrics`: PIN entries refused by a
/// lockout, callback triggers refused (dropped, not queued, digest refused), triggers over a
/// rate limit by kind. Shared by the service desk, the trigger desk, the scheduler and the
/// router; lock-free.
public final class SecurityCounters: Sendable {
    private let pinLockoutsCount = Atomic<Int>(0)
    private let refusedTriggersCount = Atomic<Int>(0)
    private let pinFailuresCount = Atomic<Int>(0)
    private let limitedCallerID = Atomic<Int>(0)
    private let limitedSource = Atomic<Int>(0)
    private let limitedGlobal = Atomic<Int>(0)
    private let limitedUnauthenticated = Atomic<Int>(0)

    public init() {}

    public func pinLockout() { pinLockoutsCount.add(1, ordering: .relaxed) }
    public func pinFailure() { pinFailuresCount.add(1, ordering: .relaxed) }
    public func refusedTrigger() { refusedTriggersCount.add(1, ordering: .relaxed) }

    /// A callback trigger refused by `kind` of `callback.limits`.
    public func triggerLimited(_ kind: TriggerRateLimiter.Kind) {
        switch kind {
        case .callerID: limitedCallerID.add(1, ordering: .relaxed)
        case .source: limitedSource.add(1, ordering: .relaxed)
        case .global: limitedGlobal.add(1, ordering: .relaxed)
        case .concurrentUnauthenticated: limitedUnauthenticated.add(1, ordering: .relaxed)
        }
    }

    /// Triggers refused by `kind` since the start.
    public func triggersLimited(_ kind: TriggerRateLimiter.Kind) -> Int {
        switch kind {
        case .callerID: return limitedCallerID.load(ordering: .relaxed)
        case .source: return limitedSource.load(ordering: .relaxed)
        case .global: return limitedGlobal.load(ordering: .relaxed)
        case .concurrentUnauthenticated: return limitedUnauthenticated.load(ordering: .relaxed)
        }
    }

    public var pinLockouts: Int { pinLockoutsCount.load(ordering: .relaxed) }
    public var pinFailures: Int { pinFailuresCount.load(ordering: .relaxed) }
    public var refusedTriggers: Int { refusedTriggersCount.load(ordering: .relaxed) }
}
