/// Why a datagram is not a valid RTCP compound packet (RFC 3550 §6.1).
public enum RTCPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    case tooShort(length: Int)
    case unsupportedVersion(UInt8)
    /// A packet's length field points past the end of the datagram.
    case lengthExceedsDatagram(packetType: UInt8, declaredOctets: Int, available: Int)
    /// A SR/RR announces more report blocks than its length holds.
    case reportBlocksExceedPacket(packetType: UInt8, count: Int, length: Int)

    public var description: String {
        switch self {
        case .tooShort(let length):
            return "RTCP packet too short: \(length) octets, a header needs 4 (8 for SR/RR)"
        case .unsupportedVersion(let version):
            return "RTCP version is \(version), expected 2"
        case .lengthExceedsDatagram(let type, let declared, let available):
            return "RTCP packet type \(type) declares \(declared) octets but only \(available) remain"
        case .reportBlocksExceedPacket(let type, let count, let length):
            return "RTCP packet type \(type) announces \(count) report blocks, which do not fit in \(length) octets"
        }
    }
}
