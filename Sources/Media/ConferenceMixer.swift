/// The arithmetic of an N-party conference ("mix-minus"): every participant hears the
/// sum of all the others and of the conference's own prompt, never itself.
///
/// Per 20 ms frame: the linear samples of every participant that sent audio are summed
/// into 32-bit totals (no overflow: 2¹⁶ × 32 parties fits easily), then for each
/// participant its own contribution is subtracted from the totals and the result is
/// saturated to 16 bits. Subtracting before saturating is what keeps the result exact:
/// saturating the total first would leak a clipped participant's own voice back to it.
/// Cost per frame: N·160 additions for the totals and N·160 subtractions for the
/// outputs, instead of N²·160 for N separate sums.
///
/// Reuses its storage: after `init` no frame allocates.
public struct ConferenceMixer: Sendable {
    public let capacity: Int
    private var inputs: [Int16]
    private var present: [Bool]
    private var totals: [Int32]
    private var output: [Int16]

    public init(capacity: Int) {
        precondition(capacity > 0, "a conference has room for at least one participant")
        self.capacity = capacity
        inputs = [Int16](repeating: 0, count: capacity * G711.samplesPerFrame)
        present = [Bool](repeating: false, count: capacity)
        totals = [Int32](repeating: 0, count: G711.samplesPerFrame)
        output = [Int16](repeating: 0, count: G711.samplesPerFrame)
    }

    /// Starts a frame: no participant has spoken yet.
    public mutating func beginFrame() {
        for index in 0..<capacity { present[index] = false }
    }

    /// Sets participant `slot`'s frame from G.711 code words (160 octets).
    public mutating func setInput(_ slot: Int, encoded frame: UnsafeRawBufferPointer, law: G711Law) {
        precondition(frame.count == G711.samplesPerFrame, "a frame is 160 samples")
        let base = slot * G711.samplesPerFrame
        inputs.withUnsafeMutableBufferPointer { storage in
            G711.decode(frame, law, into: UnsafeMutableBufferPointer(rebasing: storage[base..<(base + G711.samplesPerFrame)]))
        }
        present[slot] = true
    }

    /// Sets participant `slot`'s frame from linear samples (160 of them).
    public mutating func setInput(_ slot: Int, samples: some Collection<Int16>) {
        precondition(samples.count == G711.samplesPerFrame, "a frame is 160 samples")
        var index = slot * G711.samplesPerFrame
        for sample in samples {
            inputs[index] = sample
            index += 1
        }
        present[slot] = true
    }

    /// Sums the frame: the inputs present plus `common` (heard by everybody, e.g. a
    /// prompt played into the conference), as 160 linear samples or nil.
    public mutating func mix(common: UnsafeBufferPointer<Int16>? = nil) {
        for index in 0..<G711.samplesPerFrame {
            totals[index] = common.map { Int32($0[index]) } ?? 0
        }
        inputs.withUnsafeBufferPointer { inputs in
            totals.withUnsafeMutableBufferPointer { totals in
                for slot in 0..<capacity where present[slot] {
                    let base = slot * G711.samplesPerFrame
                    for index in 0..<G711.samplesPerFrame {
                        totals[index] &+= Int32(inputs[base + index])
                    }
                }
            }
        }
    }

    /// What participant `slot` hears this frame: totals minus its own input, saturated.
    /// `body` gets 160 samples, valid only during the call.
    public mutating func output<Result>(for slot: Int, _ body: (UnsafeBufferPointer<Int16>) -> Result) -> Result {
        let base = slot * G711.samplesPerFrame
        let own = present[slot]
        let totals = self.totals
        inputs.withUnsafeBufferPointer { inputs in
            output.withUnsafeMutableBufferPointer { output in
                for index in 0..<G711.samplesPerFrame {
                    let value = own ? totals[index] - Int32(inputs[base + index]) : totals[index]
                    output[index] = Int16(clamping: value)
                }
            }
        }
        return output.withUnsafeBufferPointer(body)
    }

    /// Whether any participant sent audio this frame.
    public var anyInput: Bool { present.contains(true) }

    /// Convenience for one frame (tests, tools): `inputs[i]` is participant i's 160
    /// samples or nil when it sent nothing; returns what each participant hears.
    public static func mixMinus(_ inputs: [[Int16]?], common: [Int16]? = nil) -> [[Int16]] {
        var mixer = ConferenceMixer(capacity: max(inputs.count, 1))
        mixer.beginFrame()
        for (slot, input) in inputs.enumerated() {
            if let input { mixer.setInput(slot, samples: input) }
        }
        if let common {
            common.withUnsafeBufferPointer { mixer.mix(common: $0) }
        } else {
            mixer.mix()
        }
        return (0..<inputs.count).map { slot in mixer.output(for: slot) { Array($0) } }
    }
}
