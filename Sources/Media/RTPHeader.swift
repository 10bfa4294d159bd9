/// The fields of an RTP header (RFC 3550 §5.1) and where the payload lies, parsed
/// without copying. Used on the receive path, where a full `RTPPacket` (which owns its
/// payload) would cost an allocation per datagram.
public struct RTPHeader: Sendable, Equatable {
    public var padding: Bool
    public var marker: Bool
    public var payloadType: UInt8
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    public var csrcCount: Int
    /// The X bit: a header extension (profile + length + data) follows the CSRC list.
    public var hasExtension: Bool
    /// Offset of the first payload octet from the start of the packet.
    public var payloadOffset: Int
    /// Number of payload octets (padding excluded).
    public var payloadLength: Int

    /// Parses the header of `bytes` (a whole datagram).
    public init(parsing bytes: UnsafeRawBufferPointer) throws(RTPParseError) {
        let length = bytes.count
        guard length >= 12 else { throw .tooShort(length: length) }
        let first = bytes[0]
        let version = first >> 6
        guard version == 2 else { throw .unsupportedVersion(version) }
        padding = first & 0x20 != 0
        hasExtension = first & 0x10 != 0
        csrcCount = Int(first & 0x0F)
        let second = bytes[1]
        marker = second & 0x80 != 0
        payloadType = second & 0x7F
        sequenceNumber = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        timestamp = RTPHeader.readUInt32(bytes, at: 4)
        ssrc = RTPHeader.readUInt32(bytes, at: 8)
        var offset = 12 + 4 * csrcCount
        guard offset <= length else { throw .csrcListExceedsPacket(csrcCount: csrcCount, length: length) }
        if hasExtension {
            // §5.3.1: 16-bit profile-defined value, 16-bit length in 32-bit words.
            guard offset + 4 <= length else { throw .extensionExceedsPacket(extensionOctets: 4, length: length) }
            let words = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
            let octets = 4 + 4 * words
            guard offset + octets <= length else {
                throw .extensionExceedsPacket(extensionOctets: octets, length: length)
            }
            offset += octets
        }
        var end = length
        if padding {
            // §5.1: the last octet counts the padding octets, itself included.
            let count = Int(bytes[length - 1])
            guard count >= 1, count <= length - offset else {
                throw .badPadding(paddingCount: count, available: length - offset)
            }
            end -= count
        }
        payloadOffset = offset
        payloadLength = end - offset
    }

    @inline(__always)
    static func readUInt32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
