import Foundation
import IVR
import Store

/// `$request` on a leg a callback request started (scripts/web-callback.yaml,
/// sms-callback.yaml): the request's numbers and where it came from.
///
/// - `destinations`: the numbers to connect (a list; one is a bridge, several a conference)
/// - `destination`: the first of them ("" when there is none)
/// - `caller-id`: the caller ID the request asks for (else the number called back)
/// - `origin`: the number called back
/// - `trigger`: what queued it (web, api, sms, spool, ani, pin, did...)
/// - `idempotency-key`: the key it was queued under ("" when none)
/// - `id`: the queue entry's id
enum RequestVariables {
    static func record(for request: Store.CallbackRequest) -> IVRValue {
        record(destinations: request.destinations, callerID: request.callerID, origin: request.originNumber ?? "",
               trigger: request.trigger.rawValue, idempotencyKey: request.sourceKey, id: request.id)
    }

    static func record(destinations: [String], callerID: String?, origin: String, trigger: String,
                       idempotencyKey: String?, id: Int64?) -> IVRValue {
        .record([
            "destinations": .list(destinations.map(IVRValue.string)),
            "destination": .string(destinations.first ?? ""),
            "caller-id": .string(callerID ?? origin),
            "origin": .string(origin),
            "trigger": .string(trigger),
            "idempotency-key": .string(idempotencyKey ?? ""),
            "id": id.map { .number(Decimal($0)) } ?? .null,
        ])
    }
}
