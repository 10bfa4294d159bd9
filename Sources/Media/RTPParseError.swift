/// Why a datagram is not a valid RTP packet (RFC 3550 §5.1). Each case names the
/// offending field and the sizes involved.
public enum RTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer than the 12 octets of the fixed header.
    case tooShort(length: Int)
    /// The version field (two high bits) is not 2.
    case unsupportedVersion(UInt8)
    /// The CSRC count says more identifiers than the datagram holds.
    case csrcListExceedsPacket(csrcCount: Int, length: Int)
    /// The X bit is set but the header extension does not fit.
    case extensionExceedsPacket(extensionOctets: Int, length: Int)
    /// The P bit is set but the last octet is zero or larger than the payload.
    case badPadding(paddingCount: Int, available: Int)

    public var description: String {
        switch self {
        case .tooShort(let length):
            return "RTP packet too short: \(length) octets, the fixed header needs 12"
        case .unsupportedVersion(let version):
            return "RTP version is \(version), expected 2"
        case .csrcListExceedsPacket(let count, let length):
            return "RTP CSRC count \(count) needs \(12 + 4 * count) octets but the packet has \(length)"
        case .extensionExceedsPacket(let octets, let length):
            return "RTP header extension of \(octets) octets does not fit in a packet of \(length)"
        case .badPadding(let padding, let available):
            return "RTP padding count \(padding) is invalid: \(available) octets follow the header"
        }
    }
}
