import Foundation
import Media

/// The tone played to the A leg before a forward is cut at its time limit (DESIGN.md:
/// "the call is cut when credit runs out, after a warning tone"): three 200 ms beeps of
/// 425 Hz (the ITU-T E.180 tone frequency) 200 ms apart, synthesised so no prompt file is needed.
enum WarningTone {
    static let prompt = Prompt(name: "warning-tone", language: "", samples: ToneCadence.samples([
        .tone(hertz: 425, milliseconds: 200), .silence(milliseconds: 200),
        .tone(hertz: 425, milliseconds: 200), .silence(milliseconds: 200),
        .tone(hertz: 425, milliseconds: 200),
    ], amplitude: 8000))
}
