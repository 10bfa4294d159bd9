/// Counters of one playout buffer (what one leg or participant hears).
public struct PlayoutStatistics: Sendable, Equatable {
    public var framesWithAudio: UInt64
    public var framesWithoutAudio: UInt64
    public var packetsLate: UInt64
    public var framesSkipped: UInt64
    public var resynchronisations: UInt64

    init(_ buffer: RTPPlayoutBuffer) {
        framesWithAudio = buffer.framesWithAudio
        framesWithoutAudio = buffer.framesWithoutAudio
        packetsLate = buffer.packetsLate
        framesSkipped = buffer.framesSkipped
        resynchronisations = buffer.resynchronisations
    }
}
