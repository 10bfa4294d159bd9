import Foundation
import IVR

/// The scripted legs in progress, each kept until its billing settled: what /metrics
/// counts, and what a graceful stop hangs up and waits for. Confined to the SIP loop.
final class LiveLegs {
    private var legs: [ObjectIdentifier: ScriptedLeg] = [:]

    var count: Int { legs.count }

    /// Keeps `leg` until it settled, then lets go of it.
    func add(_ leg: ScriptedLeg) {
        let key = ObjectIdentifier(leg)
        legs[key] = leg
        let previous = leg.onSettled
        leg.onSettled = { [weak self] in
            previous?()
            self?.legs[key] = nil
        }
    }

    /// Hangs up every leg (the script hears a hang-up; billing settles each).
    func hangUpAll(reason: String) {
        for leg in Array(legs.values) { leg.hangUp(cause: .normal, reason: reason) }
    }
}
