import Foundation
import Store

/// Each leg's state, read off a request's history: the user's own leg is dialled when the
/// request is claimed and answered when the script starts; the destinations are dialled
/// by the script's `dial` (calling-b) and answered when bridged (connected). Pure: events
/// in, legs out, one event at a time so the stream can show the legs after each.
///
/// `ringing` is in the document's list but not reported yet: the worker's events do not
/// carry the A leg's provisional responses.
public enum CallbackLegs {
    public struct Leg: Sendable, Equatable, Encodable {
        public enum Role: String, Sendable, Encodable { case user, destination }
        public var leg: Role
        public var number: String
        public var state: String
        public var cause: String?
        public var at: Date
    }

    /// The legs when the request was created.
    public static func initial(_ request: CallbackRequest) -> [Leg] {
        [Leg(leg: .user, number: request.originNumber ?? "", state: "queued", cause: nil, at: request.createdAt)]
            + request.destinations.map { Leg(leg: .destination, number: $0, state: "queued", cause: nil, at: request.createdAt) }
    }

    public static func legs(_ request: CallbackRequest, events: [CallbackEvent]) -> [Leg] {
        events.reduce(initial(request)) { apply($1, to: $0) }
    }

    /// The legs after `event`.
    public static func apply(_ event: CallbackEvent, to legs: [Leg]) -> [Leg] {
        var legs = legs
        func set(_ role: Leg.Role, _ state: String, cause: String? = nil, onlyIf current: Set<String>? = nil) {
            for index in legs.indices where legs[index].leg == role {
                if let current, !current.contains(legs[index].state) { continue }
                legs[index].state = state
                legs[index].cause = cause
                legs[index].at = event.at
            }
        }
        let from = event.fromState
        switch event.state {
        case .queued:
            // Created (nothing to do), or back in the queue after a busy/unanswered user leg.
            if from == .callingA {
                set(.user, outcome(of: event.error), cause: event.error)
            }
        case .callingA:
            set(.user, "dialing")
            set(.destination, "queued")
        case .aAnswered:
            if from == .callingA {
                set(.user, "answered")
            } else {
                // The destinations' call is over and the script goes on.
                set(.destination, "ended", onlyIf: ["answered"])
                set(.destination, "failed", cause: event.error, onlyIf: ["dialing"])
            }
        case .callingB:
            set(.destination, "dialing")
        case .connected:
            set(.destination, "answered")
        case .completed:
            set(.destination, "ended", onlyIf: ["answered"])
            set(.destination, "cancelled", onlyIf: ["queued", "dialing"])
            set(.user, "ended", onlyIf: ["answered"])
            set(.user, "cancelled", onlyIf: ["queued", "dialing"])
        case .failed:
            if from == .callingA || from == .queued {
                set(.user, outcome(of: event.error), cause: event.error)
            } else {
                set(.user, "ended", cause: event.error, onlyIf: ["answered"])
                set(.destination, "failed", cause: event.error, onlyIf: ["dialing"])
                set(.destination, "ended", onlyIf: ["answered"])
            }
            set(.destination, "cancelled", onlyIf: ["queued"])
        case .cancelled:
            set(.user, "cancelled", onlyIf: ["queued", "dialing"])
            set(.destination, "cancelled", onlyIf: ["queued", "dialing"])
        }
        return legs
    }

    /// The worker writes `busy: …`, `no-answer: …` or `failed: …` (`CallbackALegFailure`).
    static func outcome(of error: String?) -> String {
        guard let error else { return "failed" }
        if error.hasPrefix("busy") { return "busy" }
        if error.hasPrefix("no-answer") { return "no-answer" }
        return "failed"
    }
}
