import Foundation

/// The durable queue of callback requests (DESIGN.md "Persistence": nothing in a node's
/// memory may be the only copy of a queued request).
public protocol CallbackQueueStore: Sendable {
    /// Queues a request. With a `sourceKey` already queued, returns the existing request
    /// instead of queueing it twice (forever: the key of a spool line is unique).
    func enqueueCallback(_ request: NewCallbackRequest, at now: Date) throws -> CallbackRequest
    /// Queues a request unless one with the same `sourceKey` is still in progress or was
    /// created within `idempotencyWindow` seconds: then that one is returned (a repeated
    /// trigger does not call twice). Outside the window, the key starts a new request.
    func enqueueCallback(_ request: NewCallbackRequest, idempotencyWindow: TimeInterval, at now: Date) throws -> CallbackRequest
    /// Queues a request read from a spool file and records the offset after its line, in
    /// one transaction: each line is queued exactly once across restarts.
    func enqueueCallback(_ request: NewCallbackRequest, spool path: String, offsetAfter: Int64, at now: Date) throws -> CallbackRequest
    /// Claims the oldest due request (`notBefore <= now`) for `worker`: queued → calling-a,
    /// one more attempt. Nil when none is due.
    func claimNextCallback(worker: String, at now: Date) throws -> CallbackRequest?
    /// Claims up to `limit` due requests, oldest first, in one transaction (a burst is
    /// claimed with one commit, not one per request).
    func claimDueCallbacks(worker: String, limit: Int, at now: Date) throws -> [CallbackRequest]
    /// Moves a request along its states (`CallbackRequest.State.successors`); `error` is
    /// kept as `lastError`. Throws `invalidCallbackTransition` for a move the table refuses.
    @discardableResult
    func advanceCallback(id: Int64, to state: CallbackRequest.State, error: String?, at now: Date) throws -> CallbackRequest
    /// Gives a claimed request back to the queue without using up an attempt (an account
    /// limit said "not now"): calling-a → queued, due at `until`.
    func postponeCallback(id: Int64, until: Date, reason: String, at now: Date) throws
    func completeCallback(id: Int64, at now: Date) throws
    /// Fails a request being called: back to the queue at `retryAt`, or `failed` for good when nil.
    func failCallback(id: Int64, error: String, retryAt: Date?, at now: Date) throws
    func cancelCallback(id: Int64, at now: Date) throws
    /// Returns requests in calling-a claimed before `claimedBefore` (their worker died) to the queue.
    func requeueStaleCallbacks(claimedBefore: Date, at now: Date) throws -> Int
    /// Start-up recovery of the requests `worker` (nil: any worker) had claimed: see
    /// `SQLiteStore.recoverInterruptedCallbacks` for the rule. With several nodes
    /// (`PostgresStore`), only the requests claimed by this node or by a node whose lease
    /// ran out (`NodeLeaseStore`): a live node's claims are its own.
    func recoverInterruptedCallbacks(worker: String?, at now: Date) throws -> CallbackRecovery
    /// An account's requests in progress, and those created since `since`.
    func callbackCounts(account: Int64, since: Date) throws -> CallbackCounts
    /// How many requests of `account` were created before request `id`, since `since`
    /// (the per-hour limit counts the requests before this one, so it is the same whenever asked).
    func callbacksCreated(account: Int64, before id: Int64, since: Date) throws -> Int
    func callbackRequest(id: Int64) throws -> CallbackRequest?
    func callbackRequests(states: [CallbackRequest.State]) throws -> [CallbackRequest]
    /// The first `limit` requests in `states` by id, and how many there are in all (a spool
    /// can queue thousands: the operator's page shows the head of the queue).
    func callbackRequestPage(states: [CallbackRequest.State], limit: Int) throws -> CallbackRequestPage
    /// How many requests for no account (unauthenticated PIN callbacks, paid by the house) are
    /// queued or in progress: the cap every such trigger is held to, counted by the store.
    func openUnauthenticatedCallbackCount() throws -> Int
    /// The earliest `notBefore` of the queued requests, for a worker deciding when to look again.
    func nextCallbackDue() throws -> Date?
}

/// Durable read positions of transaction spool files.
public protocol SpoolOffsetStore: Sendable {
    func spoolOffset(path: String) throws -> Int64
    func setSpoolOffset(_ offset: Int64, path: String, at now: Date) throws
}
