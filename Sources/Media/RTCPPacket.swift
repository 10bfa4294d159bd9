import NIOCore

/// One packet of an RTCP compound datagram (RFC 3550 §6.1). Sender and receiver
/// reports are decoded; SDES, BYE, APP and anything else are recognised by type and
/// skipped by their length, so unknown packets never stop the parse.
public enum RTCPPacket: Sendable, Equatable {
    case senderReport(RTCPSenderReport)
    case receiverReport(RTCPReceiverReport)
    /// SDES (202), BYE (203), APP (204), feedback (205/206), XR (207)…
    case other(packetType: UInt8, length: Int)

    public static func parseCompound(_ datagram: some Collection<UInt8>) throws(RTCPParseError) -> [RTCPPacket] {
        let bytes = Array(datagram)
        guard bytes.count >= 4 else { throw .tooShort(length: bytes.count) }
        var packets: [RTCPPacket] = []
        var offset = 0
        while offset + 4 <= bytes.count {
            let first = bytes[offset]
            let version = first >> 6
            guard version == 2 else { throw .unsupportedVersion(version) }
            let count = Int(first & 0x1F)
            let type = bytes[offset + 1]
            let length = ((Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])) + 1) * 4
            guard offset + length <= bytes.count else {
                throw .lengthExceedsDatagram(packetType: type, declaredOctets: length, available: bytes.count - offset)
            }
            func word(_ at: Int) -> UInt32 {
                UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
            }
            switch type {
            case RTCPSenderReport.packetType:
                guard length >= 28 + 24 * count else {
                    throw .reportBlocksExceedPacket(packetType: type, count: count, length: length)
                }
                let blocks = (0..<count).map { RTCPReportBlock.read(from: bytes, at: offset + 28 + 24 * $0) }
                packets.append(.senderReport(RTCPSenderReport(
                    ssrc: word(offset + 4),
                    ntpTimestamp: NTPTimestamp(seconds: word(offset + 8), fraction: word(offset + 12)),
                    rtpTimestamp: word(offset + 16), packetCount: word(offset + 20),
                    octetCount: word(offset + 24), reportBlocks: blocks)))
            case RTCPReceiverReport.packetType:
                guard length >= 8 + 24 * count else {
                    throw .reportBlocksExceedPacket(packetType: type, count: count, length: length)
                }
                let blocks = (0..<count).map { RTCPReportBlock.read(from: bytes, at: offset + 8 + 24 * $0) }
                packets.append(.receiverReport(RTCPReceiverReport(ssrc: word(offset + 4), reportBlocks: blocks)))
            default:
                packets.append(.other(packetType: type, length: length))
            }
            offset += length
        }
        return packets
    }
}

/// The SDES CNAME packet that RFC 3550 §6.1 requires in every compound RTCP packet.
public enum RTCPSourceDescription {
    public static let packetType: UInt8 = 202

    public static func writeCNAME(ssrc: UInt32, cname: String, into buffer: inout ByteBuffer) {
        let name = Array(cname.utf8.prefix(255))
        // SSRC + item (type, length, text) + at least one null octet, padded to 32 bits.
        let chunk = 4 + 2 + name.count
        let padded = (chunk + 1 + 3) / 4 * 4
        buffer.writeMultipleIntegers(UInt8(0x81), packetType, UInt16((4 + padded) / 4 - 1), ssrc,
                                     UInt8(1), UInt8(name.count))
        buffer.writeBytes(name)
        buffer.writeRepeatingByte(0, count: padded - chunk)
    }
}
