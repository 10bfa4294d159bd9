import Foundation

/// Tells a steady tone from speech and silence: the Goertzel power at `hertz` against the
/// packet's whole power (a pure tone puts nearly all of it in one bin).
enum ToneDetector {
    static func isTone(_ packet: RTPCapture.Packet, hertz: Double) -> Bool {
        guard packet.payloadType == 0 || packet.payloadType == 8, packet.payload.count >= 80 else { return false }
        let samples = packet.payload.map { Double(AudioEnergy.decode($0, payloadType: packet.payloadType)) }
        let total = samples.reduce(0) { $0 + $1 * $1 }
        guard total / Double(samples.count) > 500 * 500 else { return false }   // not silence
        let coefficient = 2 * cos(2 * Double.pi * hertz / 8000)
        var s1 = 0.0, s2 = 0.0
        for sample in samples {
            let s0 = sample + coefficient * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coefficient * s1 * s2
        // For a pure sine, power ≈ N/2 · total; speech spreads over many bins.
        return power > 0.25 * Double(samples.count) * total
    }
}
