import Foundation
import Store

/// Places the A leg of a claimed callback request and runs the campaign's script on it
/// once answered. The worker only sees what happens, as `CallbackLegEvent`s, in order,
/// ending with exactly one of `.unanswered` or `.ended`.
public protocol CallbackDialer: Sendable {
    func placeCallback(_ request: CallbackRequest, events: CallbackLegReporter)
}

/// What happens to a callback's A leg, as the queue records it.
public enum CallbackLegEvent: Sendable, Equatable {
    /// The user answered: the script runs (calling-a → a-answered).
    case answered
    /// The script's `dial` is calling the destination (→ calling-b).
    case callingB
    /// The destination answered and the legs are bridged (→ connected).
    case connected
    /// The forward is over (busy, #11, hang-up of B); the script goes on (→ a-answered).
    case bLegEnded
    /// The A leg was never answered; the retry policy decides what follows. Final.
    case unanswered(CallbackALegFailure, reason: String)
    /// The answered leg is over (either side hung up). Final.
    case ended
}

/// Why an A leg was not answered (the outcomes of `OutboundCallOutcome` a retry cares about).
public enum CallbackALegFailure: String, Sendable, Hashable, CaseIterable {
    /// 486/600: the user is on the phone; worth trying again soon.
    case busy
    /// Rang out, 408, 480: worth trying again.
    case noAnswer = "no-answer"
    /// No route, 404, 5xx, no response: trying again will not help.
    case failed
}

/// The one-way channel from a placed leg to the worker: events are delivered in the
/// order they were reported, and nothing after the final one.
public struct CallbackLegReporter: Sendable {
    private let continuation: AsyncStream<CallbackLegEvent>.Continuation

    public init(_ continuation: AsyncStream<CallbackLegEvent>.Continuation) {
        self.continuation = continuation
    }

    public func report(_ event: CallbackLegEvent) {
        continuation.yield(event)
        switch event {
        case .unanswered, .ended: continuation.finish()
        default: break
        }
    }
}

/// In call control a callback request is the queued one (`Store.CallbackRequest`); the
/// IVR's `callback` verb asks for one with `IVR.CallbackRequest`, named in full where used.
public typealias CallbackRequest = Store.CallbackRequest
