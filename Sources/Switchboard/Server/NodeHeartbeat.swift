import Foundation
import Logging
import Store

/// This node's lease on the shared database (issue 17, "Several nodes"): renewed before the
/// node recovers anything or serves, then every third of the lease; on the same beat the
/// node takes over the reservations and claimed callbacks of nodes whose lease ran out.
///
/// A renewal that fails is logged as critical and tried again a second later: a node that
/// cannot renew is soon taken for dead by the others, which then settle its calls.
public final class NodeHeartbeat: @unchecked Sendable {
    private let store: any NodeLeaseStore
    private let lease: Duration
    private let now: @Sendable () -> Date
    private let logger: Logger
    private let lock = NSLock()
    private var loop: Task<Void, Never>?

    /// How soon a failed renewal is tried again.
    static let retryAfterFailure: Duration = .seconds(1)

    public init(store: any NodeLeaseStore, lease: Duration, now: @escaping @Sendable () -> Date = { Date() },
                logger: Logger) {
        self.store = store
        self.lease = lease
        self.now = now
        self.logger = logger
    }

    /// The heartbeat's period: a third of the lease, so two beats may be lost before it runs out.
    public var interval: Duration { lease / 3 }

    /// Renews the lease once (throws when the database refuses: the node must not recover
    /// or serve without one), then beats until `stop()`.
    public func start() throws {
        try renew()
        logger.info("node lease renewed", metadata: ["node": "\(store.node)", "lease": "\(lease)"])
        lock.withLock {
            guard loop == nil else { return }
            loop = Task { [self] in await run() }
        }
    }

    public func stop() async {
        let running = lock.withLock { () -> Task<Void, Never>? in
            defer { loop = nil }
            return loop
        }
        running?.cancel()
        await running?.value
    }

    private func run() async {
        var wait = interval
        while !Task.isCancelled {
            try? await Task.sleep(for: wait)
            if Task.isCancelled { return }
            wait = beat() ? interval : Self.retryAfterFailure
        }
    }

    /// One beat: renew, then take over expired nodes. False when the renewal failed.
    @discardableResult
    public func beat() -> Bool {
        do {
            try renew()
        } catch {
            logger.critical("node lease renewal failed; other nodes take this node's calls over when it runs out",
                            metadata: ["node": "\(store.node)", "reason": "\(error)"])
            return false
        }
        do {
            log(try store.takeOverExpiredNodes(at: now()))
        } catch {
            logger.error("node takeover failed", metadata: ["reason": "\(error)"])
        }
        return true
    }

    private func renew() throws {
        try store.renewNodeLease(until: now().addingTimeInterval(lease.timeInterval))
    }

    /// One `node takeover` line when anything was taken over: the nodes whose lease ran
    /// out, the reservations settled, the callbacks requeued or failed as interrupted.
    private func log(_ takeover: NodeTakeover) {
        let callbacks = takeover.callbacks
        guard !takeover.settlements.isEmpty || !callbacks.requeued.isEmpty || !callbacks.interrupted.isEmpty else { return }
        let at = now()
        let dead = ((try? store.nodeLeases()) ?? []).filter { $0.node != store.node && $0.leaseUntil <= at }.map(\.node)
        logger.notice("node takeover", metadata: [
            "node": "\(store.node)", "dead-nodes": "\(dead.joined(separator: ","))",
            "reservations-settled": "\(takeover.settlements.count)",
            "reservations": "\(takeover.settlements.compactMap(\.reservation.id).map(String.init).joined(separator: ","))",
            "callbacks-requeued": "\(callbacks.requeued.count)", "callbacks-failed": "\(callbacks.interrupted.count)",
            "requeued-requests": "\(callbacks.requeued.map(String.init).joined(separator: ","))",
            "failed-requests": "\(callbacks.interrupted.map(String.init).joined(separator: ","))",
        ])
        for settlement in takeover.settlements {
            logger.info("taken-over reservation settled", metadata: [
                "reservation": "\(settlement.reservation.id ?? 0)", "account": "\(settlement.reservation.accountID)",
                "charged": "\(settlement.charged)", "balance": "\(settlement.balanceAfter)",
            ])
        }
    }
}
