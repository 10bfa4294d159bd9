/// Counts received and lost packets of one RTP source from its sequence numbers, after
/// RFC 3550 appendix A.1: the sequence number is extended with a wrap counter, expected
/// packets are `highest − first + 1`, and lost = expected − received (gaps count as
/// losses; late duplicates can make it shrink, as in the RFC).
public struct RTPSequenceTracker: Sendable, Equatable {
    public private(set) var ssrc: UInt32?
    public private(set) var received: UInt64 = 0
    private var baseSequence: UInt32 = 0
    private var highestSequence: UInt16 = 0
    private var cycles: UInt32 = 0
    // For the fraction lost of the next report (§6.4.1, A.3).
    private var expectedAtLastReport: Int64 = 0
    private var receivedAtLastReport: UInt64 = 0

    /// A jump larger than this is taken as a restart of the stream, not as loss.
    static let maximumDropout: UInt16 = 3000

    public init() {}

    /// Extended highest sequence number received (cycles in the high 16 bits).
    public var extendedHighestSequence: UInt32 { cycles << 16 | UInt32(highestSequence) }

    public var expected: Int64 {
        ssrc == nil ? 0 : Int64(extendedHighestSequence) - Int64(baseSequence) + 1
    }

    public var lost: Int64 { max(0, expected - Int64(received)) }

    public mutating func record(ssrc: UInt32, sequence: UInt16) {
        if self.ssrc != ssrc {
            self = RTPSequenceTracker()
            self.ssrc = ssrc
            baseSequence = UInt32(sequence)
            highestSequence = sequence
            received = 1
            return
        }
        received += 1
        let delta = sequence &- highestSequence
        if delta == 0 {
            return  // duplicate
        } else if delta < RTPSequenceTracker.maximumDropout {
            if sequence < highestSequence { cycles &+= 1 }
            highestSequence = sequence
        } else if delta > UInt16.max - 100 {
            return  // late or reordered packet
        } else {
            // Big jump: the sender restarted its numbering; restart counting.
            let keptSSRC = ssrc
            self = RTPSequenceTracker()
            self.ssrc = keptSSRC
            baseSequence = UInt32(sequence)
            highestSequence = sequence
            received = 1
        }
    }

    /// Fraction lost since the previous call (fixed point /256), and marks this report.
    public mutating func fractionLostSinceLastReport() -> UInt8 {
        let expectedInterval = expected - expectedAtLastReport
        let receivedInterval = Int64(received) - Int64(receivedAtLastReport)
        expectedAtLastReport = expected
        receivedAtLastReport = received
        let lostInterval = expectedInterval - receivedInterval
        guard expectedInterval > 0, lostInterval > 0 else { return 0 }
        return UInt8(min(255, (lostInterval << 8) / expectedInterval))
    }
}
