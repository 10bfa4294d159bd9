import Foundation

/// The node a store serves, and the leases that tell the nodes sharing one database which
/// of them are alive (issue 17, "Several nodes").
///
/// Every reservation and callback claim records the node that made it. At start-up a node's
/// `recoverOpenLegs` and `recoverInterruptedCallbacks` take its own (it died with them) and
/// those of nodes whose lease ran out; a running node calls `renewNodeLease` as a heartbeat
/// and `takeOverExpiredNodes` on the same beat, so the money and queued callbacks of a node
/// that died are settled and requeued once its lease has expired — and never before. A node
/// without a lease row counts as expired: a server renews its lease before it serves.
public protocol NodeLeaseStore: Sendable {
    /// This store's node id (a configuration key; by default the host name on PostgreSQL,
    /// "local" on SQLite).
    var node: String { get }
    /// Heartbeat: this node is alive until `until` (now plus the lease, e.g. 30 s, renewed
    /// every third of it).
    func renewNodeLease(until: Date) throws
    /// Every node's lease, by node id.
    func nodeLeases() throws -> [NodeLease]
    /// A survivor's sweep: for every other node whose lease ran out by `now`, settles its
    /// open reservations as `recoverOpenLegs` does and recovers the callback requests it had
    /// claimed as `recoverInterruptedCallbacks` does. Nodes still within their lease are
    /// left alone.
    func takeOverExpiredNodes(at now: Date) throws -> NodeTakeover
}

/// How long a node counts as alive.
public struct NodeLease: Sendable, Hashable {
    public var node: String
    public var leaseUntil: Date

    public init(node: String, leaseUntil: Date) {
        self.node = node
        self.leaseUntil = leaseUntil
    }
}

/// What `takeOverExpiredNodes` took over.
public struct NodeTakeover: Sendable, Hashable {
    /// The reservations of expired nodes, settled from what was recorded.
    public var settlements: [Settlement]
    /// Their claimed callback requests: requeued (calling-a) or failed as interrupted.
    public var callbacks: CallbackRecovery

    public init(settlements: [Settlement], callbacks: CallbackRecovery) {
        self.settlements = settlements
        self.callbacks = callbacks
    }
}
