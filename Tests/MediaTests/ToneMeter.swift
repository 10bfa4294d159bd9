import Foundation

/// The amplitude of one frequency in a block of samples (a single-bin DFT, which is
/// what a Goertzel filter computes): about A for a sine of amplitude A at that
/// frequency, near 0 for other frequencies that fit the block a whole number of times.
enum ToneMeter {
    static func amplitude(of frequency: Double, in samples: [Int16]) -> Double {
        guard !samples.isEmpty else { return 0 }
        var real = 0.0
        var imaginary = 0.0
        for (index, sample) in samples.enumerated() {
            let phase = 2 * Double.pi * frequency * Double(index) / 8000
            real += Double(sample) * cos(phase)
            imaginary -= Double(sample) * sin(phase)
        }
        return 2 * (real * real + imaginary * imaginary).squareRoot() / Double(samples.count)
    }

    static func rms(_ samples: [Int16]) -> Double {
        guard !samples.isEmpty else { return 0 }
        return (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
    }
}
