/// ITU-T G.711 companding, table driven.
///
/// The tables are computed once from the reference algorithm (as in the Sun
/// `g711.c` and spandsp, which match the code points of G.711 tables 1a/1b and 2a/2b): a 64 K
/// entry encode table per law, indexed by the 16-bit sample, a 256 entry decode table
/// per law, and two 256 entry transcoding tables (A→µ, µ→A, built by decoding with one
/// law and re-encoding with the other). The hot path is one load per sample.
public enum G711 {
    /// Samples in one 20 ms frame at 8 kHz, which is also the payload size of one
    /// G.711 RTP packet (RFC 3551 §4.5.14, one octet per sample).
    public static let samplesPerFrame = 160

    // MARK: single samples

    @inlinable
    public static func encode(_ sample: Int16, _ law: G711Law) -> UInt8 {
        let index = Int(UInt16(bitPattern: sample))
        switch law {
        case .ulaw: return Tables.ulawEncode[index]
        case .alaw: return Tables.alawEncode[index]
        }
    }

    @inlinable
    public static func decode(_ byte: UInt8, _ law: G711Law) -> Int16 {
        switch law {
        case .ulaw: return Tables.ulawDecode[Int(byte)]
        case .alaw: return Tables.alawDecode[Int(byte)]
        }
    }

    // MARK: buffers

    public static func encode(_ samples: some Collection<Int16>, _ law: G711Law) -> [UInt8] {
        let table = law == .ulaw ? Tables.ulawEncode : Tables.alawEncode
        return table.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: samples.count) { out, count in
                var i = 0
                for sample in samples {
                    out[i] = table[Int(UInt16(bitPattern: sample))]
                    i += 1
                }
                count = i
            }
        }
    }

    public static func decode(_ bytes: some Collection<UInt8>, _ law: G711Law) -> [Int16] {
        let table = law == .ulaw ? Tables.ulawDecode : Tables.alawDecode
        return table.withUnsafeBufferPointer { table in
            [Int16](unsafeUninitializedCapacity: bytes.count) { out, count in
                var i = 0
                for byte in bytes {
                    out[i] = table[Int(byte)]
                    i += 1
                }
                count = i
            }
        }
    }

    /// Converts code words of one law into the other through a 256 entry table, without
    /// going through linear PCM at runtime.
    public static func transcode(_ bytes: [UInt8], from source: G711Law, to target: G711Law) -> [UInt8] {
        if source == target { return bytes }
        let table = source == .alaw ? Tables.alawToUlaw : Tables.ulawToAlaw
        return bytes.map { table[Int($0)] }
    }

    // MARK: the reference algorithm (used only to build the tables)

    /// µ-law encoding of a 16-bit sample (G.711 table 2a/2b: bias 0x84, eight
    /// segments; negative values are biased before inversion so that -1 encodes as
    /// "negative zero" 0x7F rather than one step down).
    static func referenceEncodeULaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample)
        let mask: Int
        if value < 0 {
            value = 0x84 - value - 1
            mask = 0x7F
        } else {
            value = 0x84 + value
            mask = 0xFF
        }
        let segment = topBit(value | 0xFF) - 7
        guard segment < 8 else { return UInt8(0x7F ^ mask) }
        return UInt8(((segment << 4) | ((value >> (segment + 3)) & 0x0F)) ^ mask)
    }

    private static func topBit(_ value: Int) -> Int {
        Int.bitWidth - 1 - value.leadingZeroBitCount
    }

    static func referenceDecodeULaw(_ byte: UInt8) -> Int16 {
        let u = Int(~byte)
        var t = ((u & 0x0F) << 3) + 0x84
        t <<= (u & 0x70) >> 4
        return Int16((u & 0x80) != 0 ? 0x84 - t : t - 0x84)
    }

    /// A-law encoding of a 16-bit sample (G.711 table 1a/1b: 13-bit, even bits inverted).
    static func referenceEncodeALaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample) >> 3
        let mask: Int
        if value >= 0 {
            mask = 0xD5
        } else {
            mask = 0x55
            value = -value - 1
        }
        let segmentEnds = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]
        guard let segment = segmentEnds.firstIndex(where: { value <= $0 }) else {
            return UInt8(0x7F ^ mask)
        }
        var code = segment << 4
        code |= segment < 2 ? (value >> 1) & 0x0F : (value >> segment) & 0x0F
        return UInt8(code ^ mask)
    }

    static func referenceDecodeALaw(_ byte: UInt8) -> Int16 {
        let a = Int(byte) ^ 0x55
        var t = (a & 0x0F) << 4
        let segment = (a & 0x70) >> 4
        switch segment {
        case 0: t += 8
        case 1: t += 0x108
        default:
            t += 0x108
            t <<= segment - 1
        }
        return Int16((a & 0x80) != 0 ? t : -t)
    }

    @usableFromInline
    enum Tables {
        @usableFromInline static let ulawEncode: [UInt8] = (0..<65536).map {
            referenceEncodeULaw(Int16(bitPattern: UInt16($0)))
        }
        @usableFromInline static let alawEncode: [UInt8] = (0..<65536).map {
            referenceEncodeALaw(Int16(bitPattern: UInt16($0)))
        }
        @usableFromInline static let ulawDecode: [Int16] = (0..<256).map { referenceDecodeULaw(UInt8($0)) }
        @usableFromInline static let alawDecode: [Int16] = (0..<256).map { referenceDecodeALaw(UInt8($0)) }
        /// The decoded samples as `Float`, for the DTMF detector's filters.
        static let ulawLevels: [Float] = ulawDecode.map { Float($0) }
        static let alawLevels: [Float] = alawDecode.map { Float($0) }
        static let alawToUlaw: [UInt8] = alawDecode.map { referenceEncodeULaw($0) }
        static let ulawToAlaw: [UInt8] = ulawDecode.map { referenceEncodeALaw($0) }
    }
}
