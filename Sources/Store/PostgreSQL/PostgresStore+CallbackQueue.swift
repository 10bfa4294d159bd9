import Foundation
import PostgresNIO

/// The callback queue on PostgreSQL, shared by the nodes: a request is claimed by exactly
/// one node (`FOR UPDATE SKIP LOCKED`: concurrent claimers pass over each other's rows
/// instead of waiting or taking them twice), a `sourceKey` is enqueued once across nodes
/// (the UNIQUE column decides, not a check in one process), and the state table and the
/// recovery rule are `CallbackQueueRules`, as on SQLite.
extension PostgresStore: CallbackQueueStore, SpoolOffsetStore {
    public func enqueueCallback(_ request: NewCallbackRequest, at now: Date) throws -> CallbackRequest {
        try transaction { db in try Self.enqueue(db: db, request, window: nil, at: now) }
    }

    public func enqueueCallback(_ request: NewCallbackRequest, idempotencyWindow: TimeInterval,
                                at now: Date) throws -> CallbackRequest {
        try transaction { db in try Self.enqueue(db: db, request, window: idempotencyWindow, at: now) }
    }

    public func enqueueCallback(_ request: NewCallbackRequest, spool path: String, offsetAfter: Int64,
                                at now: Date) throws -> CallbackRequest {
        try transaction { db in
            let queued = try Self.enqueue(db: db, request, window: nil, at: now)
            try Self.saveSpoolOffset(db, offsetAfter, path: path, at: now)
            return queued
        }
    }

    public func claimNextCallback(worker: String, at now: Date) throws -> CallbackRequest? {
        try claimDueCallbacks(worker: worker, limit: 1, at: now).first
    }

    public func claimDueCallbacks(worker: String, limit: Int, at now: Date) throws -> [CallbackRequest] {
        guard limit > 0 else { return [] }
        let claimed = try transaction { db in
            try db.fetchAll("""
                UPDATE callbackRequest SET state = 'calling-a', claimedBy = \(worker), claimedAt = \(now),
                    attempts = attempts + 1, updatedAt = \(now), claimedNode = \(node)
                WHERE id IN (SELECT id FROM callbackRequest WHERE state = 'queued' AND notBefore <= \(now)
                             ORDER BY notBefore, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING \(unescaped: CallbackRequest.pgColumns)
                """, CallbackRequest.init(pgRow:))
        }
        // RETURNING keeps no order: oldest first, as SQLite's claim.
        return claimed.sorted { ($0.notBefore, $0.id ?? 0) < ($1.notBefore, $1.id ?? 0) }
    }

    @discardableResult
    public func advanceCallback(id: Int64, to state: CallbackRequest.State, error: String?,
                                at now: Date) throws -> CallbackRequest {
        try move(id, .advance(to: state, error: error), at: now)
    }

    public func postponeCallback(id: Int64, until: Date, reason: String, at now: Date) throws {
        try move(id, .postpone(until: until, reason: reason), at: now)
    }

    public func completeCallback(id: Int64, at now: Date) throws {
        try move(id, .complete, at: now)
    }

    public func failCallback(id: Int64, error: String, retryAt: Date?, at now: Date) throws {
        try move(id, .fail(error: error, retryAt: retryAt), at: now)
    }

    public func cancelCallback(id: Int64, at now: Date) throws {
        try move(id, .cancel, at: now)
    }

    /// Only this node's stale claims and those of nodes whose lease ran out: a live node's
    /// claim is its own however old.
    public func requeueStaleCallbacks(claimedBefore: Date, at now: Date) throws -> Int {
        try transaction { db in
            try db.execute("""
                UPDATE callbackRequest SET state = 'queued', claimedBy = NULL, claimedAt = NULL, updatedAt = \(now)
                WHERE state = 'calling-a' AND claimedAt < \(claimedBefore)
                  AND (claimedNode IS NULL OR claimedNode = \(node)
                       OR NOT EXISTS (SELECT 1 FROM node n WHERE n.id = callbackRequest.claimedNode AND n.leaseUntil > \(now)))
                """)
        }
    }

    /// Start-up recovery (the rule is `SQLiteStore.recoverInterruptedCallbacks`'s) of the
    /// requests claimed by this node, by nodes whose lease ran out (or that never held
    /// one), or by no recorded node; with `worker`, only those that worker claimed.
    /// Requests claimed by nodes within their lease are theirs: left alone.
    public func recoverInterruptedCallbacks(worker: String?, at now: Date) throws -> CallbackRecovery {
        try transaction { db in
            let requests = try db.fetchAll("""
                SELECT \(unescaped: CallbackRequest.pgColumns) FROM callbackRequest c
                WHERE state IN ('calling-a', 'a-answered', 'calling-b', 'connected')
                  AND (\(worker)::TEXT IS NULL OR claimedBy = \(worker))
                  AND (claimedNode IS NULL OR claimedNode = \(node)
                       OR NOT EXISTS (SELECT 1 FROM node n WHERE n.id = c.claimedNode AND n.leaseUntil > \(now)))
                ORDER BY id FOR UPDATE SKIP LOCKED
                """, CallbackRequest.init(pgRow:))
            return try Self.recover(db, requests, at: now)
        }
    }

    public func callbackCounts(account: Int64, since: Date) throws -> CallbackCounts {
        try read { db in
            guard let row = try db.query("""
                SELECT count(*) FILTER (WHERE state IN ('calling-a', 'a-answered', 'calling-b', 'connected')),
                       count(*) FILTER (WHERE createdAt >= \(since))
                FROM callbackRequest WHERE accountID = \(account)
                """).first else { return CallbackCounts(active: 0, recent: 0) }
            do {
                let (active, recent) = try row.decode((Int64, Int64).self)
                return CallbackCounts(active: Int(active), recent: Int(recent))
            } catch {
                throw StoreError.corruptRow("callbackRequest counts: \(error)")
            }
        }
    }

    public func callbacksCreated(account: Int64, before id: Int64, since: Date) throws -> Int {
        try read { db in
            Int(try db.scalar("""
                SELECT count(*) FROM callbackRequest WHERE accountID = \(account) AND id < \(id) AND createdAt >= \(since)
                """, as: Int64.self) ?? 0)
        }
    }

    public func callbackRequest(id: Int64) throws -> CallbackRequest? {
        try read { db in try Self.callbackRequest(db, id: id) }
    }

    public func callbackRequests(states: [CallbackRequest.State]) throws -> [CallbackRequest] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: CallbackRequest.pgColumns) FROM callbackRequest
                WHERE state = ANY(\(states.map(\.rawValue))) ORDER BY id
                """, CallbackRequest.init(pgRow:))
        }
    }

    public func callbackRequestPage(states: [CallbackRequest.State], limit: Int) throws -> CallbackRequestPage {
        let names = states.map(\.rawValue)
        return try read { db in
            let total = try db.scalar("SELECT count(*) FROM callbackRequest WHERE state = ANY(\(names))", as: Int64.self) ?? 0
            let items = try db.fetchAll("""
                SELECT \(unescaped: CallbackRequest.pgColumns) FROM callbackRequest
                WHERE state = ANY(\(names)) ORDER BY id LIMIT \(Int64(max(0, limit)))
                """, CallbackRequest.init(pgRow:))
            return CallbackRequestPage(total: Int(total), items: items)
        }
    }

    public func openUnauthenticatedCallbackCount() throws -> Int {
        try read { db in
            Int(try db.scalar("""
                SELECT count(*) FROM callbackRequest
                WHERE accountID IS NULL AND state = ANY(\(([CallbackRequest.State.queued] + CallbackRequest.State.active).map(\.rawValue)))
                """, as: Int64.self) ?? 0)
        }
    }

    public func nextCallbackDue() throws -> Date? {
        try read { db in
            try db.scalar("SELECT min(notBefore) FROM callbackRequest WHERE state = 'queued'", as: Date?.self) ?? nil
        }
    }

    public func spoolOffset(path: String) throws -> Int64 {
        try read { db in try db.scalar("SELECT byteOffset FROM spoolOffset WHERE path = \(path)", as: Int64.self) ?? 0 }
    }

    public func setSpoolOffset(_ offset: Int64, path: String, at now: Date) throws {
        try transaction { db in try Self.saveSpoolOffset(db, offset, path: path, at: now) }
    }

    // MARK: - Helpers

    static func callbackRequest(_ db: PostgresSession, id: Int64, forUpdate: Bool = false) throws -> CallbackRequest? {
        try db.fetchOne("""
            SELECT \(unescaped: CallbackRequest.pgColumns) FROM callbackRequest
            WHERE id = \(id)\(unescaped: forUpdate ? " FOR UPDATE" : "")
            """, CallbackRequest.init(pgRow:))
    }

    private static func saveSpoolOffset(_ db: PostgresSession, _ offset: Int64, path: String, at now: Date) throws {
        try db.execute("""
            INSERT INTO spoolOffset (path, byteOffset, updatedAt) VALUES (\(path), \(offset), \(now))
            ON CONFLICT (path) DO UPDATE SET byteOffset = excluded.byteOffset, updatedAt = excluded.updatedAt
            """)
    }

    /// One row per key stays the key's holder, as on SQLite. Across nodes: the holder is
    /// read `FOR UPDATE`, so two nodes superseding it take turns (the second then finds the
    /// key moved on), and the insert yields to a row another node committed with the key
    /// meanwhile (`ON CONFLICT DO NOTHING`), which is then returned: a key queues one request.
    private static func enqueue(db: PostgresSession, _ new: NewCallbackRequest, window: TimeInterval?,
                                at now: Date) throws -> CallbackRequest {
        if let key = new.sourceKey, let existing = try byKey(db, key, forUpdate: true) {
            guard CallbackQueueRules.supersedes(existing, window: window, at: now), let id = existing.id else {
                return existing
            }
            try db.execute("""
                UPDATE callbackRequest SET sourceKey = \(CallbackQueueRules.supersededKey(key, id: id)) WHERE id = \(id)
                """)
        }
        let request = CallbackQueueRules.newRequest(new, at: now)
        if let inserted = try db.fetchOne("""
            INSERT INTO callbackRequest (sourceKey, accountID, campaign, trigger, originNumber, destinations, callerID,
                                         accessNumber, script, node, notBefore, state, attempts, createdAt, updatedAt)
            VALUES (\(request.sourceKey), \(request.accountID), \(request.campaign), \(request.trigger.rawValue),
                    \(request.originNumber), \(try CallbackRequest.pgDestinations(request.destinations)),
                    \(request.callerID), \(request.accessNumber), \(request.script), \(request.node),
                    \(request.notBefore), \(request.state.rawValue), \(request.attempts), \(now), \(now))
            ON CONFLICT (sourceKey) DO NOTHING
            RETURNING \(unescaped: CallbackRequest.pgColumns)
            """, CallbackRequest.init(pgRow:)) {
            return inserted
        }
        guard let key = request.sourceKey, let holder = try byKey(db, key, forUpdate: false) else {
            throw StoreError.corruptRow("callbackRequest insert returned no row")
        }
        return holder
    }

    private static func byKey(_ db: PostgresSession, _ key: String, forUpdate: Bool) throws -> CallbackRequest? {
        try db.fetchOne("""
            SELECT \(unescaped: CallbackRequest.pgColumns) FROM callbackRequest
            WHERE sourceKey = \(key)\(unescaped: forUpdate ? " FOR UPDATE" : "")
            """, CallbackRequest.init(pgRow:))
    }

    /// Applies `move` to request `id` in one transaction, the row locked from read to write.
    @discardableResult
    private func move(_ id: Int64, _ move: CallbackQueueRules.Move, at now: Date) throws -> CallbackRequest {
        try transaction { db in
            guard var request = try Self.callbackRequest(db, id: id, forUpdate: true) else {
                throw StoreError.unknownCallbackRequest(id)
            }
            try CallbackQueueRules.apply(move, to: &request, at: now)
            try Self.update(db, request)
            return request
        }
    }

    /// Writes the columns a transition changes.
    static func update(_ db: PostgresSession, _ request: CallbackRequest) throws {
        guard let id = request.id else { throw StoreError.unknownCallbackRequest(0) }
        try db.execute("""
            UPDATE callbackRequest SET sourceKey = \(request.sourceKey), notBefore = \(request.notBefore),
                state = \(request.state.rawValue), attempts = \(request.attempts), claimedBy = \(request.claimedBy),
                claimedAt = \(request.claimedAt), lastError = \(request.lastError), updatedAt = \(request.updatedAt)
            WHERE id = \(id)
            """)
    }

    /// Recovers `requests` (locked by the caller's select) by the start-up rule.
    static func recover(_ db: PostgresSession, _ requests: [CallbackRequest], at now: Date) throws -> CallbackRecovery {
        var recovery = CallbackRecovery(requeued: [], interrupted: [])
        for var request in requests {
            if CallbackQueueRules.recover(&request, at: now) {
                recovery.requeued.append(request.id!)
            } else {
                recovery.interrupted.append(request.id!)
            }
            try update(db, request)
        }
        return recovery
    }
}
