/// The two companding laws of ITU-T G.711 and their static RTP payload types
/// (RFC 3551 §6: PCMU = 0, PCMA = 8).
public enum G711Law: Sendable, Hashable, CaseIterable {
    /// µ-law (PCMU), North America and Japan.
    case ulaw
    /// A-law (PCMA), the rest of the world.
    case alaw

    /// The static RTP payload type (RFC 3551 table 4).
    public var payloadType: UInt8 {
        switch self {
        case .ulaw: return 0
        case .alaw: return 8
        }
    }

    /// The law for a static payload type, or nil for any other type.
    public init?(payloadType: UInt8) {
        switch payloadType {
        case 0: self = .ulaw
        case 8: self = .alaw
        default: return nil
        }
    }

    /// The code word of a zero sample: what a frame of silence is filled with.
    public var silenceByte: UInt8 {
        switch self {
        case .ulaw: return 0xFF
        case .alaw: return 0xD5
        }
    }
}
