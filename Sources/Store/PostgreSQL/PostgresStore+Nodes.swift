import Foundation
import PostgresNIO

/// Node leases on the shared database (`NodeLeaseStore`).
extension PostgresStore: NodeLeaseStore {
    public func renewNodeLease(until: Date) throws {
        try read { db in
            try db.execute("""
                INSERT INTO node (id, leaseUntil) VALUES (\(node), \(until))
                ON CONFLICT (id) DO UPDATE SET leaseUntil = excluded.leaseUntil
                """)
        }
    }

    public func nodeLeases() throws -> [NodeLease] {
        try read { db in
            try db.query("SELECT id, leaseUntil FROM node ORDER BY id").map { row in
                do {
                    let (node, until) = try row.decode((String, Date).self)
                    return NodeLease(node: node, leaseUntil: until)
                } catch {
                    throw StoreError.corruptRow("node: \(error)")
                }
            }
        }
    }

    /// Takes over only other nodes' work (never this node's: its calls are alive), and only
    /// of nodes with a recorded node id: rows without one are start-up recovery's.
    public func takeOverExpiredNodes(at now: Date) throws -> NodeTakeover {
        let ids = try read { db in
            try db.query("""
                SELECT id FROM reservation r
                WHERE state = 'open' AND node IS NOT NULL AND node <> \(node)
                  AND NOT EXISTS (SELECT 1 FROM node n WHERE n.id = r.node AND n.leaseUntil > \(now))
                ORDER BY id
                """).map { try PostgresSession.decode($0, as: Int64.self) }
        }
        let settlements = try ids.compactMap { id in
            try billing { rows in try BillingTransactions.recover(rows, reservation: id, at: now) }
        }
        let callbacks = try transaction { db in
            let requests = try db.fetchAll("""
                SELECT \(unescaped: CallbackRequest.pgColumns) FROM callbackRequest c
                WHERE state IN ('calling-a', 'a-answered', 'calling-b', 'connected')
                  AND claimedNode IS NOT NULL AND claimedNode <> \(node)
                  AND NOT EXISTS (SELECT 1 FROM node n WHERE n.id = c.claimedNode AND n.leaseUntil > \(now))
                ORDER BY id FOR UPDATE SKIP LOCKED
                """, CallbackRequest.init(pgRow:))
            return try Self.recover(db, requests, at: now)
        }
        return NodeTakeover(settlements: settlements, callbacks: callbacks)
    }
}
