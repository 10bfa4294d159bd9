import Foundation
import GRDB

/// The embedded store is one node ("local" unless named): the lease table exists so the
/// two backends keep one schema and one meaning, and a SQLite file moved between hosts
/// still knows whose reservations are whose.
extension SQLiteStore: NodeLeaseStore {
    public func renewNodeLease(until: Date) throws {
        try writer.write { db in
            try db.execute(cachedSQL: """
                INSERT INTO node (id, leaseUntil) VALUES (?, ?)
                ON CONFLICT (id) DO UPDATE SET leaseUntil = excluded.leaseUntil
                """, arguments: [node, until])
        }
    }

    public func nodeLeases() throws -> [NodeLease] {
        try writer.read { db in
            try Row.fetchAll(db, sql: "SELECT id, leaseUntil FROM node ORDER BY id").map { row in
                NodeLease(node: row["id"], leaseUntil: row["leaseUntil"])
            }
        }
    }

    /// Runs on every lease renewal, so both look-ups go through cached statements.
    public func takeOverExpiredNodes(at now: Date) throws -> NodeTakeover {
        let node = self.node
        let reservations = try writer.read { db in
            try Int64.fetchAll(db, cachedSQL: """
                SELECT id FROM reservation r
                WHERE state = 'open' AND node IS NOT NULL AND node <> ?
                  AND NOT EXISTS (SELECT 1 FROM node n WHERE n.id = r.node AND n.leaseUntil > ?)
                ORDER BY id
                """, arguments: [node, now])
        }
        let settlements = try reservations.compactMap { id in
            try billing { rows in try BillingTransactions.recover(rows, reservation: id, at: now) }
        }
        let callbacks = try writer.write { db in
            let requests = try CallbackRequest.fetchAll(db, cachedSQL: """
                SELECT * FROM callbackRequest c
                WHERE state IN ('calling-a', 'a-answered', 'calling-b', 'connected')
                  AND claimedNode IS NOT NULL AND claimedNode <> ?
                  AND NOT EXISTS (SELECT 1 FROM node n WHERE n.id = c.claimedNode AND n.leaseUntil > ?)
                ORDER BY id
                """, arguments: [node, now])
            var recovery = CallbackRecovery(requeued: [], interrupted: [])
            for var request in requests {
                if CallbackQueueRules.recover(&request, at: now) {
                    recovery.requeued.append(request.id!)
                } else {
                    recovery.interrupted.append(request.id!)
                }
                try request.update(db)
            }
            return recovery
        }
        return NodeTakeover(settlements: settlements, callbacks: callbacks)
    }
}
