/// A small jitter and reorder buffer of G.711 audio, read one 20 ms frame per clock
/// tick: what a bridged leg or a conference hears is taken from here.
///
/// Packets are placed by their RTP timestamp (RFC 3550 §5.1: the sampling instant of
/// the first octet), so reordered packets land where they belong, duplicates overwrite
/// themselves, and packets of any length (10, 20, 30 ms…) are cut into 160-sample
/// frames. The reader runs `delayFrames` behind the first packet's timestamp, which
/// absorbs that much arrival jitter; its position then advances by one frame per read,
/// whether or not audio arrived (missing frames read as "no audio").
///
/// Clock drift and stream changes are bounded rather than tracked:
/// - a packet that would sit more than `maximumDepthFrames` ahead of the reader makes
///   the reader skip the oldest frames (sender faster than us: latency stays bounded);
/// - `lateResyncThreshold` late packets in a row (sender slower than us, or its
///   timestamps jumped back), a jump of more than `jumpSamples`, or a new SSRC
///   re-synchronise the reader on the packet (RFC 3550 §8.2: a new SSRC is a new
///   stream, with its own timestamp origin).
///
/// Payload octets are kept in the law they arrived in (a pass-through relay copies
/// them untouched); each frame remembers its law. Pure value type, confined to one
/// event loop by its owner.
public struct RTPPlayoutBuffer: Sendable {
    public static let frameSamples = G711.samplesPerFrame
    /// A jump of the timestamp this large (one second) is a new timeline, not drift.
    public static let jumpSamples: Int64 = 8000
    public static let lateResyncThreshold = 3

    public let delayFrames: Int
    public let maximumDepthFrames: Int

    /// Counters for statistics and tests.
    public private(set) var framesWithAudio: UInt64 = 0
    public private(set) var framesWithoutAudio: UInt64 = 0
    public private(set) var packetsLate: UInt64 = 0
    public private(set) var framesSkipped: UInt64 = 0
    public private(set) var resynchronisations: UInt64 = 0

    private let slotCount: Int
    private var octets: [UInt8]
    private var filled: [Bool]
    private var laws: [G711Law]
    private var readSlot = 0
    private var readTimestamp: UInt32 = 0
    private var ssrc: UInt32?
    private var synchronised = false
    private var lateInARow = 0

    /// - Parameters:
    ///   - delayFrames: frames the reader stays behind the first packet (jitter absorbed:
    ///     20 ms per frame).
    ///   - maximumDepthFrames: at most this many frames are buffered ahead of the
    ///     reader; defaults to `delayFrames + 3`.
    public init(delayFrames: Int = 1, maximumDepthFrames: Int? = nil) {
        precondition(delayFrames >= 0, "delay cannot be negative")
        self.delayFrames = delayFrames
        self.maximumDepthFrames = max(maximumDepthFrames ?? delayFrames + 3, delayFrames + 1)
        slotCount = self.maximumDepthFrames + 1
        octets = [UInt8](repeating: G711Law.ulaw.silenceByte, count: slotCount * G711.samplesPerFrame)
        filled = [Bool](repeating: false, count: slotCount)
        laws = [G711Law](repeating: .ulaw, count: slotCount)
    }

    /// Whether a packet has set the reader's position yet.
    public var isSynchronised: Bool { synchronised }

    /// Frames holding audio ahead of the reader (including the next one to read).
    public var bufferedFrames: Int { filled.lazy.filter { $0 }.count }

    /// Places one packet's payload (`law` code words, one per sample).
    public mutating func write(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law) {
        guard payload.count > 0 else { return }
        if !synchronised || ssrc != self.ssrc {
            synchronise(on: timestamp, ssrc: ssrc)
        }
        var offset = Int64(Int32(bitPattern: timestamp &- readTimestamp))
        let length = Int64(payload.count)
        if offset + length <= 0 || offset > RTPPlayoutBuffer.jumpSamples {
            if offset > RTPPlayoutBuffer.jumpSamples || offset < -RTPPlayoutBuffer.jumpSamples {
                synchronise(on: timestamp, ssrc: ssrc)
                offset = Int64(delayFrames * G711.samplesPerFrame)
            } else {
                packetsLate += 1
                lateInARow += 1
                guard lateInARow >= RTPPlayoutBuffer.lateResyncThreshold else { return }
                synchronise(on: timestamp, ssrc: ssrc)
                offset = Int64(delayFrames * G711.samplesPerFrame)
            }
        }
        lateInARow = 0
        // Too far ahead: drop the oldest frames so the newest fits (bounded latency).
        let limit = Int64(maximumDepthFrames * G711.samplesPerFrame)
        while offset + length > limit {
            discardFrame(skipped: true)
            offset -= Int64(G711.samplesPerFrame)
        }
        var source = 0
        if offset < 0 {  // the start is late: keep the part still ahead of the reader
            source = Int(-offset)
            offset = 0
        }
        var position = Int(offset)
        let firstSlot = readSlot
        let slotCount = self.slotCount
        octets.withUnsafeMutableBytes { storage in
            while source < payload.count {
                let frame = position / G711.samplesPerFrame
                let within = position % G711.samplesPerFrame
                let slot = (firstSlot + frame) % slotCount
                let count = min(G711.samplesPerFrame - within, payload.count - source)
                let base = slot * G711.samplesPerFrame
                if !filled[slot] {
                    // A partly covered frame must be silence elsewhere, in this frame's law.
                    if count < G711.samplesPerFrame {
                        UnsafeMutableRawBufferPointer(rebasing: storage[base..<(base + G711.samplesPerFrame)])
                            .initializeMemory(as: UInt8.self, repeating: law.silenceByte)
                    }
                    filled[slot] = true
                    laws[slot] = law
                }
                UnsafeMutableRawBufferPointer(rebasing: storage[(base + within)..<(base + within + count)])
                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: payload[source..<(source + count)]))
                source += count
                position += count
            }
        }
    }

    /// Reads the next frame: calls `body` with its 160 octets and their law when audio
    /// arrived for it, and returns whether it did. The reader advances either way
    /// (once synchronised); before the first packet nothing happens.
    @discardableResult
    public mutating func read(_ body: (UnsafeRawBufferPointer, G711Law) -> Void) -> Bool {
        guard synchronised else { return false }
        let slot = readSlot
        let hadAudio = filled[slot]
        if hadAudio {
            let base = slot * G711.samplesPerFrame
            octets.withUnsafeBytes { raw in
                body(UnsafeRawBufferPointer(rebasing: raw[base..<(base + G711.samplesPerFrame)]), laws[slot])
            }
            framesWithAudio += 1
        } else {
            framesWithoutAudio += 1
        }
        discardFrame(skipped: false)
        return hadAudio
    }

    /// Advances past the next frame without reading it (its slot is freed).
    public mutating func skip() {
        guard synchronised else { return }
        discardFrame(skipped: false)
    }

    /// Forgets everything; the next packet synchronises again.
    public mutating func reset() {
        synchronised = false
        ssrc = nil
        lateInARow = 0
        for slot in 0..<slotCount { filled[slot] = false }
    }

    private mutating func discardFrame(skipped: Bool) {
        filled[readSlot] = false
        readSlot = (readSlot + 1) % slotCount
        readTimestamp &+= UInt32(G711.samplesPerFrame)
        if skipped { framesSkipped += 1 }
    }

    private mutating func synchronise(on timestamp: UInt32, ssrc: UInt32) {
        if synchronised { resynchronisations += 1 }
        for slot in 0..<slotCount { filled[slot] = false }
        readSlot = 0
        readTimestamp = timestamp &- UInt32(delayFrames * G711.samplesPerFrame)
        self.ssrc = ssrc
        synchronised = true
        lateInARow = 0
    }
}
