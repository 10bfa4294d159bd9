import Foundation

/// The callback queue's decisions, written once for both backends: what enqueueing under a
/// known `sourceKey` does, what a claim and each transition change on a request, and the
/// start-up recovery rule. The backends only read and write the rows.
enum CallbackQueueRules {
    /// Whether `existing`, holding the key of a request being enqueued, is superseded (its
    /// key moves to `<key>#<id>` and a new request takes the key) rather than returned: only
    /// with a window, when it is over and older than the window.
    static func supersedes(_ existing: CallbackRequest, window: TimeInterval?, at now: Date) -> Bool {
        guard let window else { return false }
        return CallbackRequest.State.terminal.contains(existing.state) && existing.createdAt < now.addingTimeInterval(-window)
    }

    /// The key a superseded request keeps (the column is UNIQUE).
    static func supersededKey(_ key: String, id: Int64) -> String { "\(key)#\(id)" }

    /// A new queued request (no id yet).
    static func newRequest(_ new: NewCallbackRequest, at now: Date) -> CallbackRequest {
        CallbackRequest(
            id: nil, sourceKey: new.sourceKey, accountID: new.accountID, campaign: new.campaign, trigger: new.trigger,
            originNumber: new.originNumber, destinations: new.destinations, callerID: new.callerID,
            accessNumber: new.accessNumber, script: new.script, node: new.node,
            notBefore: new.notBefore, state: .queued, attempts: 0, claimedBy: nil, claimedAt: nil, lastError: nil,
            createdAt: now, updatedAt: now)
    }

    /// queued → calling-a for `worker`, one more attempt.
    static func claim(_ request: inout CallbackRequest, worker: String, at now: Date) {
        request.state = .callingA
        request.claimedBy = worker
        request.claimedAt = now
        request.attempts += 1
        request.updatedAt = now
    }

    /// A move along the state table, as the queue's operations ask for it.
    enum Move: Sendable {
        case advance(to: CallbackRequest.State, error: String?)
        /// An account limit said "not now": calling-a → queued at `until`, the attempt not counted.
        case postpone(until: Date, reason: String)
        case complete
        /// Back to the queue at `retryAt` (only from calling-a), or failed for good when nil.
        case fail(error: String, retryAt: Date?)
        case cancel
    }

    /// Applies `move` to `request`, or throws `invalidCallbackTransition` when the state
    /// table (or the move's own rule) refuses it from the request's state.
    static func apply(_ move: Move, to request: inout CallbackRequest, at now: Date) throws {
        switch move {
        case let .advance(state, error):
            try transition(&request, from: nil, to: state, at: now) { request in
                if let error { request.lastError = error }
                if state == .queued { unclaim(&request) }
            }
        case let .postpone(until, reason):
            try transition(&request, from: [.callingA], to: .queued, at: now) { request in
                request.attempts = max(0, request.attempts - 1)
                request.notBefore = until
                request.lastError = reason
                unclaim(&request)
            }
        case .complete:
            try transition(&request, from: nil, to: .completed, at: now) { _ in }
        case let .fail(error, retryAt?):
            // Only a leg never answered may be called again.
            try transition(&request, from: [.callingA], to: .queued, at: now) { request in
                request.lastError = error
                request.notBefore = retryAt
                unclaim(&request)
            }
        case let .fail(error, nil):
            try transition(&request, from: nil, to: .failed, at: now) { request in request.lastError = error }
        case .cancel:
            try transition(&request, from: [.queued, .callingA], to: .cancelled, at: now) { _ in }
        }
    }

    /// Moves `request` to `state` if the state table allows it from where it is (and, with
    /// `allowed`, only from those states), applying `change`.
    private static func transition(_ request: inout CallbackRequest, from allowed: Set<CallbackRequest.State>?,
                                   to state: CallbackRequest.State, at now: Date,
                                   _ change: (inout CallbackRequest) -> Void) throws {
        guard request.state.successors.contains(state), allowed?.contains(request.state) ?? true else {
            throw StoreError.invalidCallbackTransition(id: request.id ?? 0, from: request.state, to: state)
        }
        change(&request)
        request.state = state
        request.updatedAt = now
    }

    /// Gives up a claim (the request is queued again).
    static func unclaim(_ request: inout CallbackRequest) {
        request.claimedBy = nil
        request.claimedAt = nil
    }

    /// The start-up recovery rule for a request its node had claimed when it died (see
    /// `SQLiteStore.recoverInterruptedCallbacks`): calling-a goes back to the queue, due at
    /// once; a request whose user was reached fails as interrupted. Returns whether it was requeued.
    static func recover(_ request: inout CallbackRequest, at now: Date) -> Bool {
        let requeued = request.state == .callingA
        if requeued {
            request.state = .queued
            request.notBefore = min(request.notBefore, now)
            unclaim(&request)
            request.lastError = "requeued after restart: the A leg was not answered"
        } else {
            request.lastError = "interrupted: the server stopped while the callback was \(request.state.rawValue)"
            request.state = .failed
        }
        request.updatedAt = now
        return requeued
    }
}
