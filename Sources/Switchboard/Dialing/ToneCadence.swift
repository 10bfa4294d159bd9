import Foundation

/// Call-progress tones synthesised at 8 kHz so no prompt file is needed: a cadence of
/// steps, each a sine of some frequency or silence, for some milliseconds.
enum ToneCadence {
    enum Step {
        case tone(hertz: Double, milliseconds: Int)
        case silence(milliseconds: Int)
    }

    static let sampleRate = 8000

    static func samples(_ steps: [Step], amplitude: Double) -> [Int16] {
        var samples: [Int16] = []
        for step in steps {
            switch step {
            case let .tone(hertz, milliseconds):
                let count = milliseconds * sampleRate / 1000
                for n in 0..<count {
                    samples.append(Int16(amplitude * sin(2 * Double.pi * hertz * Double(n) / Double(sampleRate))))
                }
            case let .silence(milliseconds):
                samples += [Int16](repeating: 0, count: milliseconds * sampleRate / 1000)
            }
        }
        return samples
    }
}
