import Foundation

/// In-band DTMF detection (ITU-T Q.23/Q.24 tones) with the Goertzel algorithm.
///
/// Audio (8 kHz, 16-bit) is cut into blocks of 102 samples (12.75 ms; the block size
/// spandsp uses, short enough for the 40 ms minimum, long enough that 697 and 770 Hz
/// fall near each other's spectral nulls). In each block the eight DTMF frequencies
/// are measured and a block is a *hit* for a key when:
///
/// - the strongest row and column tones are each above `minimumToneAmplitude`;
/// - twist is within bounds: the row (low group) may exceed the column by up to
///   `normalTwistDecibels`, the column may exceed the row by up to
///   `reverseTwistDecibels` (Q.24 allows 4–8 dB);
/// - each peak stands `relativePeakDecibels` above the other tones of its group;
/// - the two tones carry at least 80 % of the block's energy
///   (`minimumToneEnergyRatio`), which rejects speech and noise, and also blocks only
///   partly covered by a tone (the ratio falls with the covered fraction).
///
/// A key is reported once, after `requiredHits` consecutive hit blocks: tones of 40 ms
/// and more are always caught; a 20 ms tone cannot cover two blocks to 80 % and is
/// never reported. The same key is reported again only after `requiredGapBlocks`
/// blocks without it (a silence of about 25 ms), so a press with a short dropout is
/// still one press.
public struct GoertzelDTMFDetector: Sendable {
    public static let sampleRate = 8000.0
    public static let blockSize = 102
    static let rowFrequencies: [Double] = [697, 770, 852, 941]
    static let columnFrequencies: [Double] = [1209, 1336, 1477, 1633]
    static let keys: [[Character]] = [
        ["1", "2", "3", "A"],
        ["4", "5", "6", "B"],
        ["7", "8", "9", "C"],
        ["*", "0", "#", "D"],
    ]

    public var minimumToneAmplitude: Float = 200     // about -44 dBFS per tone
    public var normalTwistDecibels: Float = 8
    public var reverseTwistDecibels: Float = 6
    public var relativePeakDecibels: Float = 6
    public var minimumToneEnergyRatio: Float = 0.8
    public var requiredHits = 2
    public var requiredGapBlocks = 2

    // The eight filters run side by side in vector lanes (rows 0–3, columns 4–7): one
    // vector step per sample. As arrays, each sample cost sixteen element writes, each
    // with a uniqueness and bounds check: the largest single cost of an IVR call.
    private let coefficients: SIMD8<Float>
    private var q1 = SIMD8<Float>()
    private var q2 = SIMD8<Float>()
    private var blockEnergy: Float = 0
    private var samplesInBlock = 0

    private var candidate: Character?
    private var candidateHits = 0
    private var reported: Character?
    private var missesSinceReported = 0

    public init() {
        coefficients = SIMD8((GoertzelDTMFDetector.rowFrequencies + GoertzelDTMFDetector.columnFrequencies).map {
            Float(2 * cos(2 * Double.pi * $0 / GoertzelDTMFDetector.sampleRate))
        })
    }

    /// Feeds samples; returns the keys recognised in them, in order (usually none).
    public mutating func process(_ samples: some RandomAccessCollection<Int16>) -> [Character] {
        var digits: [Character] = []
        process(samples) { digits.append($0) }
        return digits
    }

    /// Feeds samples and calls `onDigit` for each key recognised (no allocation).
    public mutating func process(_ samples: some RandomAccessCollection<Int16>, onDigit: (Character) -> Void) {
        var offset = 0
        while offset < samples.count {
            let count = min(samples.count - offset, GoertzelDTMFDetector.blockSize - samplesInBlock)
            let start = samples.index(samples.startIndex, offsetBy: offset)
            filter(count) { Float(samples[samples.index(start, offsetBy: $0)]) }
            offset += count
            if samplesInBlock == GoertzelDTMFDetector.blockSize, let digit = finishBlock() { onDigit(digit) }
        }
    }

    /// Feeds G.711 code words of `law` (an RTP payload) and calls `onDigit` for each key
    /// recognised: the same as feeding their linear samples, without decoding them first.
    public mutating func process(codeWords: UnsafeRawBufferPointer, _ law: G711Law, onDigit: (Character) -> Void) {
        let levels = law == .ulaw ? G711.Tables.ulawLevels : G711.Tables.alawLevels
        levels.withUnsafeBufferPointer { levels in
            var offset = 0
            while offset < codeWords.count {
                let count = min(codeWords.count - offset, GoertzelDTMFDetector.blockSize - samplesInBlock)
                let start = offset
                filter(count) { levels[Int(codeWords[start + $0])] }
                offset += count
                if samplesInBlock == GoertzelDTMFDetector.blockSize, let digit = finishBlock() { onDigit(digit) }
            }
        }
    }

    /// Runs the eight filters over `count` samples, which stay within the current block.
    /// The state is held in locals for the run: as stored properties of an `inout self`
    /// it was loaded and stored at every sample (about 40 instructions a sample).
    @inline(__always)
    private mutating func filter(_ count: Int, _ sample: (Int) -> Float) {
        var a = q1, b = q2, energy = blockEnergy
        for i in 0..<count {
            let x = sample(i)
            energy += x * x
            let next = coefficients * a - b + SIMD8(repeating: x)
            b = a
            a = next
        }
        q1 = a
        q2 = b
        blockEnergy = energy
        samplesInBlock += count
    }

    /// Classifies the finished block, resets the filters, runs the press logic.
    private mutating func finishBlock() -> Character? {
        let powers = q1 * q1 + q2 * q2 - coefficients * q1 * q2
        q1 = SIMD8()
        q2 = SIMD8()
        let hit = classify(powers: powers, energy: blockEnergy)
        blockEnergy = 0
        samplesInBlock = 0
        return track(hit)
    }

    private func classify(powers: SIMD8<Float>, energy: Float) -> Character? {
        let n = Float(GoertzelDTMFDetector.blockSize)
        var row = 0
        for i in 1..<4 where powers[i] > powers[row] { row = i }
        var column = 4
        for i in 5..<8 where powers[i] > powers[column] { column = i }
        let rowPower = powers[row]
        let columnPower = powers[column]
        // A sine of amplitude A gives a Goertzel power of about (A·N/2)².
        let threshold = (minimumToneAmplitude * n / 2) * (minimumToneAmplitude * n / 2)
        guard rowPower >= threshold, columnPower >= threshold else { return nil }
        let normalTwist = Self.ratio(normalTwistDecibels)
        let reverseTwist = Self.ratio(reverseTwistDecibels)
        guard rowPower <= columnPower * normalTwist, columnPower <= rowPower * reverseTwist else { return nil }
        let relative = Self.ratio(relativePeakDecibels)
        for i in 0..<4 where i != row && powers[i] * relative > rowPower { return nil }
        for i in 4..<8 where i != column && powers[i] * relative > columnPower { return nil }
        // The tone energy in the block is 2·power/N; it must be most of the total.
        let toneEnergy = 2 * (rowPower + columnPower) / n
        guard toneEnergy >= minimumToneEnergyRatio * energy else { return nil }
        return GoertzelDTMFDetector.keys[row][column - 4]
    }

    private static func ratio(_ decibels: Float) -> Float {
        Float(pow(10, Double(decibels) / 10))
    }

    private mutating func track(_ hit: Character?) -> Character? {
        if let hit, hit == reported {
            missesSinceReported = 0
            return nil
        }
        if reported != nil {
            missesSinceReported += 1
            if missesSinceReported >= requiredGapBlocks {
                reported = nil
            }
        }
        guard let hit else {
            candidate = nil
            candidateHits = 0
            return nil
        }
        if hit == candidate {
            candidateHits += 1
        } else {
            candidate = hit
            candidateHits = 1
        }
        if candidateHits >= requiredHits, reported == nil || reported != hit {
            reported = hit
            missesSinceReported = 0
            candidate = nil
            candidateHits = 0
            return hit
        }
        return nil
    }

    /// Forgets any tone in progress (for example when the stream restarts).
    public mutating func reset() {
        q1 = SIMD8()
        q2 = SIMD8()
        blockEnergy = 0
        samplesInBlock = 0
        candidate = nil
        candidateHits = 0
        reported = nil
        missesSinceReported = 0
    }
}
