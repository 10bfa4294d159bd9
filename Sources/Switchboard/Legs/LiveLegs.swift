import Foundation
import IVR

/// The scripted legs in progress, each kept until its billing settled: what /metrics
/// counts, what a graceful stop hangs up and waits for, and where a cancelled callback
/// request (`DELETE /api/v1/callbacks/{id}`) finds the leg to hang up. Confined to the SIP loop.
final class LiveLegs {
    private var legs: [ObjectIdentifier: ScriptedLeg] = [:]
    /// The leg a callback request's script runs on, by request id, while it is live.
    private var callbackLegs: [Int64: ObjectIdentifier] = [:]

    var count: Int { legs.count }

    /// Keeps `leg` until it settled, then lets go of it; `callbackRequest`: the queue
    /// entry whose answered user leg it is.
    func add(_ leg: ScriptedLeg, callbackRequest: Int64? = nil) {
        let key = ObjectIdentifier(leg)
        legs[key] = leg
        if let callbackRequest { callbackLegs[callbackRequest] = key }
        let previous = leg.onSettled
        leg.onSettled = { [weak self] in
            previous?()
            self?.legs[key] = nil
            if let callbackRequest, self?.callbackLegs[callbackRequest] == key { self?.callbackLegs[callbackRequest] = nil }
        }
    }

    /// Hangs up every leg (the script hears a hang-up; billing settles each).
    func hangUpAll(reason: String) {
        for leg in Array(legs.values) { leg.hangUp(cause: .normal, reason: reason) }
    }

    /// Hangs up the user leg of callback request `id` and, with it, whatever it dialled
    /// (the script hears a hang-up, as when the user hangs up). False: no live leg runs it.
    func hangUp(callbackRequest id: Int64, reason: String) -> Bool {
        guard let key = callbackLegs[id], let leg = legs[key] else { return false }
        leg.hangUp(cause: .normal, reason: reason)
        return true
    }
}
