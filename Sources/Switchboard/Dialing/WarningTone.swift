import Foundation
import Media

/// The tone played to the A leg before a forward is cut at its time limit (DESIGN.md:
/// "the call is cut when credit runs out, after a warning tone"): three 200 ms beeps of
/// 425 Hz (the ITU-T E.180 tone frequency) 200 ms apart, synthesised so no prompt file is needed.
enum WarningTone {
    static let prompt: Prompt = {
        let rate = 8000.0
        var samples: [Int16] = []
        for beep in 0..<3 {
            for n in 0..<1600 {
                samples.append(Int16(8000 * sin(2 * Double.pi * 425 * Double(n) / rate)))
            }
            if beep < 2 { samples += [Int16](repeating: 0, count: 1600) }
        }
        return Prompt(name: "warning-tone", language: "", samples: samples)
    }()
}
