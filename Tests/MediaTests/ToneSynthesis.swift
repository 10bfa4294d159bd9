import Foundation

/// Test audio: DTMF tone pairs, silence and pseudo-random noise at 8 kHz.
enum ToneSynthesis {
    static let frequencies: [Character: (Double, Double)] = [
        "1": (697, 1209), "2": (697, 1336), "3": (697, 1477), "A": (697, 1633),
        "4": (770, 1209), "5": (770, 1336), "6": (770, 1477), "B": (770, 1633),
        "7": (852, 1209), "8": (852, 1336), "9": (852, 1477), "C": (852, 1633),
        "*": (941, 1209), "0": (941, 1336), "#": (941, 1477), "D": (941, 1633),
    ]

    static func tone(_ digit: Character, milliseconds: Int, rowAmplitude: Double = 6000,
                     columnAmplitude: Double = 6000, startSample: Int = 0) -> [Int16] {
        let (row, column) = frequencies[digit]!
        return (0..<(milliseconds * 8)).map { index in
            let t = Double(index + startSample) / 8000
            let value = rowAmplitude * sin(2 * .pi * row * t) + columnAmplitude * sin(2 * .pi * column * t)
            return Int16(max(-32768, min(32767, value.rounded())))
        }
    }

    static func sine(_ frequency: Double, milliseconds: Int, amplitude: Double) -> [Int16] {
        (0..<(milliseconds * 8)).map { Int16((amplitude * sin(2 * .pi * frequency * Double($0) / 8000)).rounded()) }
    }

    static func silence(milliseconds: Int) -> [Int16] {
        [Int16](repeating: 0, count: milliseconds * 8)
    }

    /// Uniform noise from a fixed-seed linear congruential generator (repeatable).
    static func noise(milliseconds: Int, amplitude: Int, seed: UInt32 = 12345) -> [Int16] {
        var state = seed
        return (0..<(milliseconds * 8)).map { _ in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Int16(Int(state >> 16) % (2 * amplitude + 1) - amplitude)
        }
    }

    static func mix(_ a: [Int16], _ b: [Int16]) -> [Int16] {
        zip(a, b).map { Int16(max(-32768, min(32767, Int($0) + Int($1)))) }
    }
}
