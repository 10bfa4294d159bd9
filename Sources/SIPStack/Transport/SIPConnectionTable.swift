import NIOCore

/// The stream connections of an endpoint as a value: who may connect (a cap overall and
/// per source address), and which connections have gone idle. Time is an input
/// (`NIODeadline`), so tests drive it without a clock or a socket.
///
/// A connection is idle when no SIP message crossed it for `idleTimeout` and nothing
/// depends on it: no session pinned it (a call whose in-dialog requests travel on it),
/// and no registration holds it (a phone behind NAT is reachable only over the
/// connection it registered on, RFC 5626 §3; the hold lasts as long as the binding, so
/// the registrar's expiry bounds it). Connections we opened ourselves (to a trunk) are
/// neither counted against the cap nor closed for idleness: the cap and the timeout are
/// about what others make us hold, and a trunk connection may carry a long call's dialog
/// with no message for minutes (they are few, and of our own making).
public struct SIPConnectionTable: Sendable {
    public struct Limits: Sendable, Hashable {
        /// Accepted connections at once, all sources together.
        public var maximumConnections: Int
        /// Accepted connections at once from one source IP address.
        public var maximumConnectionsPerSource: Int
        /// A connection with no traffic and nothing depending on it is closed after this.
        public var idleTimeout: Duration

        /// 1,024 in all, 64 per source, 60 s idle: a phone registers and talks well within
        /// a minute of connecting, and a source needing more than 64 connections is a
        /// load balancer the operator knows about (and configures).
        public static let `default` = Limits(maximumConnections: 1024, maximumConnectionsPerSource: 64,
                                             idleTimeout: .seconds(60))

        public init(maximumConnections: Int, maximumConnectionsPerSource: Int, idleTimeout: Duration) {
            self.maximumConnections = maximumConnections
            self.maximumConnectionsPerSource = maximumConnectionsPerSource
            self.idleTimeout = idleTimeout
        }
    }

    public typealias ID = ObjectIdentifier

    public enum Admission: Sendable, Hashable {
        case accepted
        /// `maximumConnections` are open.
        case overTotalCap
        /// `maximumConnectionsPerSource` are open from this source.
        case overSourceCap
    }

    struct Entry: Sendable {
        var source: String
        var accepted: Bool
        var lastActivity: NIODeadline
        var pins = 0
        var heldUntil: NIODeadline?
    }

    public let limits: Limits
    private var entries: [ID: Entry] = [:]
    private var acceptedBySource: [String: Int] = [:]
    private var acceptedCount = 0

    public init(limits: Limits = .default) {
        self.limits = limits
    }

    /// Accepted connections open now.
    public var acceptedConnections: Int { acceptedCount }
    /// All connections tracked (ours included).
    public var count: Int { entries.count }

    /// A peer at `source` connected to us: admitted (and counted from now), or over a cap.
    public mutating func admit(_ id: ID, source: String, now: NIODeadline) -> Admission {
        guard acceptedCount < limits.maximumConnections else { return .overTotalCap }
        guard acceptedBySource[source, default: 0] < limits.maximumConnectionsPerSource else { return .overSourceCap }
        entries[id] = Entry(source: source, accepted: true, lastActivity: now)
        acceptedBySource[source, default: 0] += 1
        acceptedCount += 1
        return .accepted
    }

    /// A connection we opened (to a trunk, a phone): known, never capped nor closed for idleness.
    public mutating func opened(_ id: ID, source: String, now: NIODeadline) {
        guard entries[id] == nil else { return }
        entries[id] = Entry(source: source, accepted: false, lastActivity: now)
    }

    public mutating func closed(_ id: ID) {
        guard let entry = entries.removeValue(forKey: id), entry.accepted else { return }
        acceptedCount -= 1
        let left = acceptedBySource[entry.source, default: 1] - 1
        acceptedBySource[entry.source] = left > 0 ? left : nil
    }

    /// A SIP message crossed the connection.
    public mutating func touched(_ id: ID, now: NIODeadline) {
        entries[id]?.lastActivity = now
    }

    /// Something (a call) depends on the connection until `unpin`.
    public mutating func pin(_ id: ID) {
        entries[id]?.pins += 1
    }

    public mutating func unpin(_ id: ID) {
        guard let pins = entries[id]?.pins, pins > 0 else { return }
        entries[id]?.pins = pins - 1
    }

    /// A registration lives on the connection until `deadline` (a refresh moves it; an
    /// unregistration, a deadline of now, ends it).
    public mutating func hold(_ id: ID, until deadline: NIODeadline) {
        entries[id]?.heldUntil = deadline
    }

    /// Accepted connections to close now: idle for `idleTimeout`, unpinned, no registration held.
    public func idle(now: NIODeadline) -> [ID] {
        let timeout = TimeAmount.nanoseconds(Int64(limits.idleTimeout.components.seconds) * 1_000_000_000
            + limits.idleTimeout.components.attoseconds / 1_000_000_000)
        return entries.compactMap { id, entry in
            guard entry.accepted, entry.pins == 0, entry.lastActivity + timeout <= now else { return nil }
            if let held = entry.heldUntil, held > now { return nil }
            return id
        }
    }
}
