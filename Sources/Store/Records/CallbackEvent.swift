import Foundation

/// One state a callback request passed through (table `callbackEvent`), in the order it
/// happened: the history `GET /api/v1/callbacks/{id}` shows and its event stream replays.
/// The database appends it in the same transaction as the state change (triggers of
/// migration "v7 callback events"), so no writer of the queue can forget one and the
/// `id` is a resumable position (`Last-Event-ID`).
public struct CallbackEvent: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var requestID: Int64
    /// The state before; nil for the request's creation.
    public var fromState: CallbackRequest.State?
    public var state: CallbackRequest.State
    /// The request's `lastError` when the move recorded one (busy, no-answer, failed: why).
    public var error: String?
    /// The request's attempt number at the time (a retry calls the user's leg again).
    public var attempt: Int
    public var at: Date

    public init(id: Int64?, requestID: Int64, fromState: CallbackRequest.State?, state: CallbackRequest.State,
                error: String?, attempt: Int, at: Date) {
        self.id = id
        self.requestID = requestID
        self.fromState = fromState
        self.state = state
        self.error = error
        self.attempt = attempt
        self.at = at
    }
}
