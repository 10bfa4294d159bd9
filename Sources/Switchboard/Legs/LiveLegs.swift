import Foundation
import IVR

/// The scripted legs in progress, each kept until its billing settled: what /metrics
/// counts, what a graceful stop hangs up and waits for, and where a cancelled callback
/// request (`DELETE /api/v1/callbacks/{id}`) finds the leg to hang up. Confined to the SIP loop.
final class LiveLegs {
    private var legs: [ObjectIdentifier: ScriptedLeg] = [:]
    /// The leg a callback request's script runs on, by request id, while it is live.
    private var callbackLegs: [Int64: ObjectIdentifier] = [:]
    /// Callback requests whose user's phone is ringing: how to stop each (CANCEL).
    private var ringing: [Int64: () -> Void] = [:]
    /// Requests cancelled while ringing: a leg that answered in the race is hung up at once.
    private var cancelledWhileRinging: Set<Int64> = []

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
        if let callbackRequest, cancelledWhileRinging.remove(callbackRequest) != nil {
            leg.hangUp(cause: .normal, reason: "callback request \(callbackRequest) cancelled while ringing")
        }
    }

    /// The user's phone of callback request `id` rings; `abandon` stops it (CANCEL).
    func ringing(callbackRequest id: Int64, abandon: @escaping () -> Void) {
        ringing[id] = abandon
    }

    /// The ringing of request `id` is over: `answered` (its leg comes next) or not.
    func stoppedRinging(callbackRequest id: Int64, answered: Bool) {
        ringing[id] = nil
        if !answered { cancelledWhileRinging.remove(id) }
    }

    /// Hangs up every leg (the script hears a hang-up; billing settles each).
    func hangUpAll(reason: String) {
        for leg in Array(legs.values) { leg.hangUp(cause: .normal, reason: reason) }
    }

    /// Hangs up the user leg of callback request `id` and, with it, whatever it dialled
    /// (the script hears a hang-up, as when the user hangs up). False: no live leg runs it.
    /// While the user's phone still rings, the ringing is cancelled instead.
    func hangUp(callbackRequest id: Int64, reason: String) -> Bool {
        if let key = callbackLegs[id], let leg = legs[key] {
            leg.hangUp(cause: .normal, reason: reason)
            return true
        }
        guard let abandon = ringing.removeValue(forKey: id) else { return false }
        cancelledWhileRinging.insert(id)
        abandon()
        return true
    }
}
