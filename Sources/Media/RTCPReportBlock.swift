import NIOCore

/// One reception report block of an SR or RR (RFC 3550 §6.4.1), 24 octets.
public struct RTCPReportBlock: Sendable, Equatable {
    public var ssrc: UInt32
    /// Fraction lost since the previous report, as a fixed point number /256.
    public var fractionLost: UInt8
    /// Cumulative packets lost (signed 24 bits: duplicates can make it negative).
    public var cumulativeLost: Int32
    public var extendedHighestSequence: UInt32
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received (0: none yet).
    public var lastSenderReport: UInt32
    /// Delay since that SR, in 1/65536 s.
    public var delaySinceLastSenderReport: UInt32

    public init(ssrc: UInt32, fractionLost: UInt8, cumulativeLost: Int32, extendedHighestSequence: UInt32,
                jitter: UInt32, lastSenderReport: UInt32, delaySinceLastSenderReport: UInt32) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequence = extendedHighestSequence
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    static let length = 24

    func write(into buffer: inout ByteBuffer) {
        let lost = UInt32(bitPattern: max(-0x80_0000, min(0x7F_FFFF, cumulativeLost))) & 0x00FF_FFFF
        buffer.writeMultipleIntegers(ssrc, UInt32(fractionLost) << 24 | lost, extendedHighestSequence,
                                     jitter, lastSenderReport, delaySinceLastSenderReport)
    }

    static func read(from bytes: [UInt8], at offset: Int) -> RTCPReportBlock {
        func word(_ index: Int) -> UInt32 {
            let o = offset + 4 * index
            return UInt32(bytes[o]) << 24 | UInt32(bytes[o + 1]) << 16 | UInt32(bytes[o + 2]) << 8 | UInt32(bytes[o + 3])
        }
        let lossWord = word(1)
        var lost = Int32(bitPattern: lossWord & 0x00FF_FFFF)
        if lost & 0x80_0000 != 0 { lost -= 0x100_0000 }  // sign-extend 24 bits
        return RTCPReportBlock(ssrc: word(0), fractionLost: UInt8(lossWord >> 24), cumulativeLost: lost,
                               extendedHighestSequence: word(2), jitter: word(3),
                               lastSenderReport: word(4), delaySinceLastSenderReport: word(5))
    }
}
