/// A prompt ready to play: 8 kHz mono audio, pre-encoded as 20 ms G.711 frames in
/// both laws, so playing it costs a copy of 160 octets per packet and nothing else.
///
/// The encoded audio of each law is one flat array of `frameCount × 160` octets (the
/// last frame padded with silence); frame `i` is `payload(law)[i*160 ..< (i+1)*160]`.
public struct Prompt: Sendable, Equatable {
    public let name: String
    public let language: String
    /// Samples of audio at 8 kHz, before padding to whole frames.
    public let sampleCount: Int
    public let frameCount: Int
    private let ulaw: [UInt8]
    private let alaw: [UInt8]

    public var durationMilliseconds: Int { sampleCount / 8 }

    /// Builds a prompt from 8 kHz mono samples (also useful for generated tones).
    public init(name: String, language: String, samples: [Int16]) {
        self.name = name
        self.language = language
        self.sampleCount = samples.count
        let frameSize = G711.samplesPerFrame
        frameCount = (samples.count + frameSize - 1) / frameSize
        let padded = samples + [Int16](repeating: 0, count: frameCount * frameSize - samples.count)
        ulaw = G711.encode(padded, .ulaw)
        alaw = G711.encode(padded, .alaw)
    }

    /// All frames of one law as one flat array (`frameCount × 160` octets).
    public func payload(_ law: G711Law) -> [UInt8] {
        law == .ulaw ? ulaw : alaw
    }

    /// Frame `index` (0-based) of one law: 160 octets, a slice of the shared storage.
    public func frame(_ index: Int, _ law: G711Law) -> ArraySlice<UInt8> {
        let start = index * G711.samplesPerFrame
        return payload(law)[start..<(start + G711.samplesPerFrame)]
    }

    /// The frames as separate arrays (convenient in tests; allocates).
    public func frames(_ law: G711Law) -> [[UInt8]] {
        (0..<frameCount).map { Array(frame($0, law)) }
    }
}
