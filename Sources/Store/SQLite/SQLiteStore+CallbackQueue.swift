import Foundation
import GRDB

extension SQLiteStore: CallbackQueueStore, SpoolOffsetStore {
    public func enqueueCallback(_ request: NewCallbackRequest, at now: Date) throws -> CallbackRequest {
        try writer.write { db in try Self.enqueue(db: db, request, at: now) }
    }

    public func enqueueCallback(_ request: NewCallbackRequest, spool path: String, offsetAfter: Int64,
                                at now: Date) throws -> CallbackRequest {
        try writer.write { db in
            let queued = try Self.enqueue(db: db, request, at: now)
            try SpoolOffset(path: path, byteOffset: offsetAfter, updatedAt: now).save(db)
            return queued
        }
    }

    public func claimNextCallback(worker: String, at now: Date) throws -> CallbackRequest? {
        try writer.write { db in
            guard var request = try CallbackRequest
                .filter(CallbackRequest.Columns.state == CallbackRequest.State.queued.rawValue
                        && CallbackRequest.Columns.notBefore <= now)
                .order(CallbackRequest.Columns.notBefore, Column("id"))
                .fetchOne(db)
            else { return nil }
            request.state = .claimed
            request.claimedBy = worker
            request.claimedAt = now
            request.attempts += 1
            request.updatedAt = now
            try request.update(db)
            return request
        }
    }

    public func completeCallback(id: Int64, at now: Date) throws {
        try transition(id, from: [.claimed], to: .done, at: now) { _ in }
    }

    public func failCallback(id: Int64, error: String, retryAt: Date?, at now: Date) throws {
        try transition(id, from: [.claimed], to: retryAt == nil ? .failed : .queued, at: now) { request in
            request.lastError = error
            if let retryAt { request.notBefore = retryAt }
            request.claimedBy = nil
            request.claimedAt = nil
        }
    }

    public func cancelCallback(id: Int64, at now: Date) throws {
        try transition(id, from: [.queued, .claimed], to: .cancelled, at: now) { _ in }
    }

    public func requeueStaleCallbacks(claimedBefore: Date, at now: Date) throws -> Int {
        try writer.write { db in
            try CallbackRequest
                .filter(CallbackRequest.Columns.state == CallbackRequest.State.claimed.rawValue
                        && CallbackRequest.Columns.claimedAt < claimedBefore)
                .updateAll(db, CallbackRequest.Columns.state.set(to: CallbackRequest.State.queued.rawValue),
                           Column("claimedBy").set(to: nil), CallbackRequest.Columns.claimedAt.set(to: nil),
                           Column("updatedAt").set(to: now))
        }
    }

    public func callbackRequest(id: Int64) throws -> CallbackRequest? {
        try writer.read { db in try CallbackRequest.fetchOne(db, key: id) }
    }

    public func callbackRequests(states: [CallbackRequest.State]) throws -> [CallbackRequest] {
        try writer.read { db in
            try CallbackRequest.filter(states.map(\.rawValue).contains(CallbackRequest.Columns.state))
                .order(Column("id")).fetchAll(db)
        }
    }

    public func spoolOffset(path: String) throws -> Int64 {
        try writer.read { db in try SpoolOffset.fetchOne(db, key: path)?.byteOffset ?? 0 }
    }

    public func setSpoolOffset(_ offset: Int64, path: String, at now: Date) throws {
        try writer.write { db in try SpoolOffset(path: path, byteOffset: offset, updatedAt: now).save(db) }
    }

    // MARK: - Helpers

    private static func enqueue(db: Database, _ new: NewCallbackRequest, at now: Date) throws -> CallbackRequest {
        if let key = new.sourceKey,
           let existing = try CallbackRequest.filter(CallbackRequest.Columns.sourceKey == key).fetchOne(db) {
            return existing
        }
        var request = CallbackRequest(
            id: nil, sourceKey: new.sourceKey, accountID: new.accountID, campaign: new.campaign, trigger: new.trigger,
            originNumber: new.originNumber, destinations: new.destinations, callerID: new.callerID,
            notBefore: new.notBefore, state: .queued, attempts: 0, claimedBy: nil, claimedAt: nil, lastError: nil,
            createdAt: now, updatedAt: now)
        try request.insert(db)
        return request
    }

    private func transition(_ id: Int64, from allowed: Set<CallbackRequest.State>, to state: CallbackRequest.State,
                            at now: Date, _ change: @escaping @Sendable (inout CallbackRequest) -> Void) throws {
        try writer.write { db in
            guard var request = try CallbackRequest.fetchOne(db, key: id) else {
                throw StoreError.unknownCallbackRequest(id)
            }
            guard allowed.contains(request.state) else {
                throw StoreError.invalidCallbackTransition(id: id, from: request.state, to: state)
            }
            change(&request)
            request.state = state
            request.updatedAt = now
            try request.update(db)
        }
    }
}
