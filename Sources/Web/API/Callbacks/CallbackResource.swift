import Foundation
import Store

/// `Callback` of the document: a request as the API shows it.
struct CallbackResource: Encodable, Sendable {
    var id: Int64
    var state: String
    var trigger: String
    var from: String
    var numbers: [String]
    var attempts: Int
    var error: String?
    var legs: [CallbackLegs.Leg]
    var createdAt: Date
    var updatedAt: Date

    init(_ request: CallbackRequest, events: [CallbackEvent]) {
        id = request.id ?? 0
        state = request.state.rawValue
        trigger = request.trigger.rawValue
        from = request.originNumber ?? ""
        numbers = request.destinations
        attempts = request.attempts
        error = request.lastError
        legs = CallbackLegs.legs(request, events: events)
        createdAt = request.createdAt
        updatedAt = request.updatedAt
    }
}

/// `CallbackEvent` of the document: one step of the stream, with every leg after it.
struct CallbackEventResource: Encodable, Sendable {
    var id: Int64
    var request: Int64
    var state: String
    var legs: [CallbackLegs.Leg]
    var error: String?
    var at: Date
}
