import Foundation

/// The durable queue of callback requests.
public protocol CallbackQueueStore: Sendable {
    /// Queues a request. With a `sourceKey` already queued, returns the existing request
    /// instead of queueing it twice.
    func enqueueCallback(_ request: NewCallbackRequest, at now: Date) throws -> CallbackRequest
    /// Queues a request read from a spool file and records the offset after its line, in
    /// one transaction: each line is queued exactly once across restarts.
    func enqueueCallback(_ request: NewCallbackRequest, spool path: String, offsetAfter: Int64, at now: Date) throws -> CallbackRequest
    /// Claims the oldest due request (`notBefore <= now`) for `worker`, or nil.
    func claimNextCallback(worker: String, at now: Date) throws -> CallbackRequest?
    func completeCallback(id: Int64, at now: Date) throws
    /// Fails a claimed request: back to the queue at `retryAt`, or `failed` for good when nil.
    func failCallback(id: Int64, error: String, retryAt: Date?, at now: Date) throws
    func cancelCallback(id: Int64, at now: Date) throws
    /// Returns requests claimed before `claimedBefore` (their worker died) to the queue.
    func requeueStaleCallbacks(claimedBefore: Date, at now: Date) throws -> Int
    func callbackRequest(id: Int64) throws -> CallbackRequest?
    func callbackRequests(states: [CallbackRequest.State]) throws -> [CallbackRequest]
}

/// Durable read positions of transaction spool files.
public protocol SpoolOffsetStore: Sendable {
    func spoolOffset(path: String) throws -> Int64
    func setSpoolOffset(_ offset: Int64, path: String, at now: Date) throws
}
