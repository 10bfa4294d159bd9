import NIOCore

/// An RTP data packet (RFC 3550 §5.1) that owns its payload.
///
/// ```
///  0                   1                   2                   3
/// |V=2|P|X|  CC   |M|     PT      |       sequence number         |
/// |                           timestamp                           |
/// |           synchronization source (SSRC) identifier            |
/// |            contributing source (CSRC) identifiers             |
/// ```
public struct RTPPacket: Sendable, Equatable {
    /// Always 2 for packets this type writes; parsing rejects anything else.
    public static let version: UInt8 = 2

    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcs: [UInt32]
    /// The header extension (§5.3.1): profile-defined 16 bits and the data (a multiple of
    /// four octets), or nil when the X bit is clear.
    public var headerExtension: (profile: UInt16, data: [UInt8])? {
        get { extensionProfile.map { ($0, extensionData) } }
        set {
            extensionProfile = newValue?.profile
            extensionData = newValue?.data ?? []
        }
    }
    public var payload: [UInt8]
    /// Padding octets to append when writing (P bit); parsed packets record how many
    /// they carried.
    public var paddingCount: UInt8

    private var extensionProfile: UInt16?
    private var extensionData: [UInt8]

    public init(
        marker: Bool = false, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32,
        ssrc: UInt32, csrcs: [UInt32] = [], payload: [UInt8], paddingCount: UInt8 = 0
    ) {
        precondition(payloadType < 128, "RTP payload type is 7 bits")
        precondition(csrcs.count <= 15, "at most 15 CSRCs (RFC 3550 §5.1)")
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.payload = payload
        self.paddingCount = paddingCount
        self.extensionProfile = nil
        self.extensionData = []
    }

    /// Parses a whole datagram.
    public init(parsing bytes: some Collection<UInt8>) throws(RTPParseError) {
        let array = Array(bytes)
        let parsed: Result<RTPPacket, RTPParseError> = array.withUnsafeBytes { raw in
            do throws(RTPParseError) {
                return .success(try RTPPacket(parsingRaw: raw))
            } catch {
                return .failure(error)
            }
        }
        self = try parsed.get()
    }

    init(parsingRaw raw: UnsafeRawBufferPointer) throws(RTPParseError) {
        let header = try RTPHeader(parsing: raw)
        self.marker = header.marker
        self.payloadType = header.payloadType
        self.sequenceNumber = header.sequenceNumber
        self.timestamp = header.timestamp
        self.ssrc = header.ssrc
        self.csrcs = (0..<header.csrcCount).map { RTPHeader.readUInt32(raw, at: 12 + 4 * $0) }
        if header.hasExtension {
            let start = 12 + 4 * header.csrcCount
            self.extensionProfile = UInt16(raw[start]) << 8 | UInt16(raw[start + 1])
            self.extensionData = Array(raw[(start + 4)..<header.payloadOffset])
        } else {
            self.extensionProfile = nil
            self.extensionData = []
        }
        self.payload = Array(raw[header.payloadOffset..<(header.payloadOffset + header.payloadLength)])
        self.paddingCount = header.padding ? raw[raw.count - 1] : 0
    }

    /// Number of octets `write(into:)` produces.
    public var serializedLength: Int {
        12 + 4 * csrcs.count + (extensionProfile == nil ? 0 : 4 + extensionData.count)
            + payload.count + Int(paddingCount)
    }

    public func write(into buffer: inout ByteBuffer) {
        precondition(extensionData.count % 4 == 0, "RTP header extension length must be a multiple of 4")
        var first = RTPPacket.version << 6 | UInt8(csrcs.count)
        if paddingCount > 0 { first |= 0x20 }
        if extensionProfile != nil { first |= 0x10 }
        buffer.writeInteger(first)
        buffer.writeInteger((marker ? 0x80 : 0) | payloadType)
        buffer.writeInteger(sequenceNumber)
        buffer.writeInteger(timestamp)
        buffer.writeInteger(ssrc)
        for csrc in csrcs { buffer.writeInteger(csrc) }
        if let profile = extensionProfile {
            buffer.writeInteger(profile)
            buffer.writeInteger(UInt16(extensionData.count / 4))
            buffer.writeBytes(extensionData)
        }
        buffer.writeBytes(payload)
        if paddingCount > 0 {
            buffer.writeRepeatingByte(0, count: Int(paddingCount) - 1)
            buffer.writeInteger(paddingCount)
        }
    }

    public func serialized() -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: serializedLength)
        write(into: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    public static func == (lhs: RTPPacket, rhs: RTPPacket) -> Bool {
        lhs.marker == rhs.marker && lhs.payloadType == rhs.payloadType
            && lhs.sequenceNumber == rhs.sequenceNumber && lhs.timestamp == rhs.timestamp
            && lhs.ssrc == rhs.ssrc && lhs.csrcs == rhs.csrcs && lhs.payload == rhs.payload
            && lhs.paddingCount == rhs.paddingCount && lhs.extensionProfile == rhs.extensionProfile
            && lhs.extensionData == rhs.extensionData
    }

    /// Writes a fixed 12-octet header followed by `payload`: the send path's
    /// allocation-free form (no CSRCs, no extension, no padding).
    @inlinable
    public static func writeHeader(
        into buffer: inout ByteBuffer, marker: Bool, payloadType: UInt8,
        sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32
    ) {
        buffer.writeMultipleIntegers(
            UInt8(0x80), (marker ? 0x80 : 0) | payloadType, sequenceNumber, timestamp, ssrc)
    }
}
