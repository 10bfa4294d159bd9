import Foundation

/// The history of callback requests, and the per-account reads of the HTTP API.
public protocol CallbackEventStore: Sendable {
    /// The events of request `id` after event `after` (all when nil), oldest first.
    func callbackEvents(request id: Int64, after: Int64?) throws -> [CallbackEvent]
    /// The account's requests, newest first, at most `limit`.
    func callbackRequests(account id: Int64, limit: Int) throws -> [CallbackRequest]
}
