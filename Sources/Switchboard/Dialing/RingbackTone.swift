import Foundation
import Media

/// The ring-back tone the A leg hears while the B leg rings and sends no early media of
/// its own: 425 Hz, 1 s on and 4 s off (ITU-T E.180 and ETSI ES 201 970, the European
/// cadence), synthesised so no prompt file is needed.
enum RingbackTone {
    /// One cadence at 8 kHz: 1 s of tone, 4 s of silence.
    static let cadenceSamples = ToneCadence.samples([.tone(hertz: 425, milliseconds: 1000), .silence(milliseconds: 4000)],
                                                    amplitude: 6000)

    static let cadence = Prompt(name: "ringback-tone", language: "", samples: cadenceSamples)

    /// Enough cadences to cover `seconds` of ringing (prompts are shared, not copied).
    static func prompts(covering seconds: Int) -> [Prompt] {
        Array(repeating: cadence, count: max(1, seconds / 5 + 2))
    }
}
