/// The audio codecs this server speaks: G.711 µ-law and A-law (RFC 3551 §6).
public enum SDPAudioCodec: Sendable, Hashable, CaseIterable {
    case pcmu, pcma

    /// The static RTP payload type (RFC 3551 table 4).
    public var payloadType: UInt8 {
        switch self {
        case .pcmu: 0
        case .pcma: 8
        }
    }

    public var encodingName: String {
        switch self {
        case .pcmu: "PCMU"
        case .pcma: "PCMA"
        }
    }

    public var clockRate: Int { 8000 }

    /// The codec an rtpmap encoding name means, if we speak it.
    public init?(encodingName: String, clockRate: Int) {
        guard clockRate == 8000 else { return nil }
        switch encodingName.uppercased() {
        case "PCMU": self = .pcmu
        case "PCMA": self = .pcma
        default: return nil
        }
    }
}
