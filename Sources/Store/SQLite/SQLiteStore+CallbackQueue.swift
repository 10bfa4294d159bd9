import Foundation
import GRDB

extension SQLiteStore: CallbackQueueStore, SpoolOffsetStore {
    public func enqueueCallback(_ request: NewCallbackRequest, at now: Date) throws -> CallbackRequest {
        try writer.write { db in try Self.enqueue(db: db, request, window: nil, at: now) }
    }

    public func enqueueCallback(_ request: NewCallbackRequest, idempotencyWindow: TimeInterval,
                                at now: Date) throws -> CallbackRequest {
        try writer.write { db in try Self.enqueue(db: db, request, window: idempotencyWindow, at: now) }
    }

    public func enqueueCallback(_ request: NewCallbackRequest, spool path: String, offsetAfter: Int64,
                                at now: Date) throws -> CallbackRequest {
        try writer.write { db in
            let queued = try Self.enqueue(db: db, request, window: nil, at: now)
            try SpoolOffset(path: path, byteOffset: offsetAfter, updatedAt: now).save(db)
            return queued
        }
    }

    /// The claim is one write transaction (SQLite serialises writers), so two workers never
    /// claim the same request; a PostgreSQL backend does the same with
    /// `SELECT … FOR UPDATE SKIP LOCKED` (DESIGN.md "Scale beyond one machine").
    public func claimNextCallback(worker: String, at now: Date) throws -> CallbackRequest? {
        try claimDueCallbacks(worker: worker, limit: 1, at: now).first
    }

    public func claimDueCallbacks(worker: String, limit: Int, at now: Date) throws -> [CallbackRequest] {
        guard limit > 0 else { return [] }
        return try writer.write { db in
            var claimed = try CallbackRequest.fetchAll(db, cachedSQL: """
                SELECT * FROM callbackRequest WHERE state = ? AND notBefore <= ? ORDER BY notBefore, id LIMIT ?
                """, arguments: [CallbackRequest.State.queued.rawValue, now, limit])
            for index in claimed.indices {
                CallbackQueueRules.claim(&claimed[index], worker: worker, at: now)
                try claimed[index].update(db)
                try db.execute(cachedSQL: "UPDATE callbackRequest SET claimedNode = ? WHERE id = ?",
                               arguments: [node, claimed[index].id])
            }
            return claimed
        }
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

    public func requeueStaleCallbacks(claimedBefore: Date, at now: Date) throws -> Int {
        try writer.write { db in
            try CallbackRequest
                .filter(CallbackRequest.SQLColumns.state == CallbackRequest.State.callingA.rawValue
                        && CallbackRequest.SQLColumns.claimedAt < claimedBefore)
                .updateAll(db, CallbackRequest.SQLColumns.state.set(to: CallbackRequest.State.queued.rawValue),
                           CallbackRequest.SQLColumns.claimedBy.set(to: nil), CallbackRequest.SQLColumns.claimedAt.set(to: nil),
                           Column("updatedAt").set(to: now))
        }
    }

    /// Start-up recovery. A request still claimed when the process starts was claimed by a
    /// process that died (with the embedded SQLite store one process serves the database;
    /// several nodes pass their own `worker` name). The rule, so that nobody is called twice:
    ///
    /// - `calling-a`: the user never reached a script. The INVITE may have been ringing, but
    ///   an answer to a dead process gets no ACK and the phone drops it (RFC 3261 §13.3.1.4),
    ///   so nothing was delivered: calling again is a fresh attempt. Back to `queued`, due
    ///   now (the attempt is counted: a request that crashes the server cannot loop forever).
    /// - `a-answered`, `calling-b`, `connected`: the user was on a script, perhaps on a billed
    ///   forward (settled by billing recovery). Calling again would run the service twice,
    ///   so they end `failed` with the error "interrupted".
    public func recoverInterruptedCallbacks(worker: String?, at now: Date) throws -> CallbackRecovery {
        try writer.write { db in
            var claimed = CallbackRequest.filter(CallbackRequest.State.active.map(\.rawValue).contains(CallbackRequest.SQLColumns.state))
            if let worker { claimed = claimed.filter(CallbackRequest.SQLColumns.claimedBy == worker) }
            var recovery = CallbackRecovery(requeued: [], interrupted: [])
            for var request in try claimed.order(Column("id")).fetchAll(db) {
                if CallbackQueueRules.recover(&request, at: now) {
                    recovery.requeued.append(request.id!)
                } else {
                    recovery.interrupted.append(request.id!)
                }
                try request.update(db)
            }
            return recovery
        }
    }

    public func callbackCounts(account: Int64, since: Date) throws -> CallbackCounts {
        try writer.read { db in
            let active = try db.fetchCount(cachedSQL: Self.countActiveCallbacksSQL, arguments: [account])
            let recent = try db.fetchCount(cachedSQL: "SELECT COUNT(*) FROM callbackRequest WHERE accountID = ? AND createdAt >= ?",
                                           arguments: [account, since])
            return CallbackCounts(active: active, recent: recent)
        }
    }

    public func callbacksCreated(account: Int64, before id: Int64, since: Date) throws -> Int {
        try writer.read { db in
            try db.fetchCount(cachedSQL: "SELECT COUNT(*) FROM callbackRequest WHERE accountID = ? AND id < ? AND createdAt >= ?",
                              arguments: [account, id, since])
        }
    }

    public func callbackRequest(id: Int64) throws -> CallbackRequest? {
        try writer.read { db in try CallbackRequest.fetchOne(db, cachedKey: id) }
    }

    public func callbackRequests(states: [CallbackRequest.State]) throws -> [CallbackRequest] {
        try writer.read { db in
            try CallbackRequest.filter(states.map(\.rawValue).contains(CallbackRequest.SQLColumns.state))
                .order(Column("id")).fetchAll(db)
        }
    }

    public func callbackRequestPage(states: [CallbackRequest.State], limit: Int) throws -> CallbackRequestPage {
        try writer.read { db in
            let request = CallbackRequest.filter(states.map(\.rawValue).contains(CallbackRequest.SQLColumns.state))
            return CallbackRequestPage(total: try request.fetchCount(db),
                                       items: try request.order(Column("id")).limit(max(0, limit)).fetchAll(db))
        }
    }

    public func openUnauthenticatedCallbackCount() throws -> Int {
        try writer.read { db in try db.fetchCount(cachedSQL: Self.countOpenUnauthenticatedSQL) }
    }

    public func nextCallbackDue() throws -> Date? {
        try writer.read { db in
            try Date.fetchOne(db, cachedSQL: "SELECT MIN(notBefore) FROM callbackRequest WHERE state = ?",
                              arguments: [CallbackRequest.State.queued.rawValue])
        }
    }

    public func spoolOffset(path: String) throws -> Int64 {
        try writer.read { db in
            try Int64.fetchOne(db, cachedSQL: "SELECT byteOffset FROM spoolOffset WHERE path = ?", arguments: [path]) ?? 0
        }
    }

    public func setSpoolOffset(_ offset: Int64, path: String, at now: Date) throws {
        try writer.write { db in try SpoolOffset(path: path, byteOffset: offset, updatedAt: now).save(db) }
    }

    // MARK: - Helpers

    /// The requests of one account still being worked on. The IN list is the fixed set of
    /// active states, so the text never varies and the statement can be cached.
    private static let countOpenUnauthenticatedSQL = """
        SELECT COUNT(*) FROM callbackRequest WHERE accountID IS NULL AND state IN (\(
            ([CallbackRequest.State.queued] + CallbackRequest.State.active).map { "'\($0.rawValue)'" }.joined(separator: ", ")))
        """

    private static let countActiveCallbacksSQL = """
        SELECT COUNT(*) FROM callbackRequest WHERE accountID = ? AND state IN (\(
            CallbackRequest.State.active.map { "'\($0.rawValue)'" }.joined(separator: ", ")))
        """

    /// One row per key stays the key's holder (the column is UNIQUE, so two writers can
    /// never both insert it): a request superseded after its window keeps its row under the
    /// key `<key>#<id>`, and the new request takes the key.
    private static func enqueue(db: Database, _ new: NewCallbackRequest, window: TimeInterval?,
                                at now: Date) throws -> CallbackRequest {
        if let key = new.sourceKey,
           var existing = try CallbackRequest.fetchOne(db, cachedSQL: "SELECT * FROM callbackRequest WHERE sourceKey = ?",
                                                       arguments: [key]) {
            guard CallbackQueueRules.supersedes(existing, window: window, at: now) else { return existing }
            existing.sourceKey = CallbackQueueRules.supersededKey(key, id: existing.id!)
            try existing.update(db)
        }
        var request = CallbackQueueRules.newRequest(new, at: now)
        try request.insert(db)
        return request
    }

    /// Applies `move` to request `id` in one transaction (refused as the state table says).
    @discardableResult
    private func move(_ id: Int64, _ move: CallbackQueueRules.Move, at now: Date) throws -> CallbackRequest {
        try writer.write { db in
            guard var request = try CallbackRequest.fetchOne(db, cachedKey: id) else {
                throw StoreError.unknownCallbackRequest(id)
            }
            try CallbackQueueRules.apply(move, to: &request, at: now)
            try request.update(db)
            return request
        }
    }
}
