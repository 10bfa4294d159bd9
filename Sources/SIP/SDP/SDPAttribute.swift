/// `a=<name>[:<value>]` (RFC 4566 §5.13).
public struct SDPAttribute: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    init(parsing value: Substring) {
        if let colon = value.firstIndex(of: ":") {
            name = String(value[..<colon])
            self.value = String(value[value.index(after: colon)...])
        } else {
            name = String(value)
            self.value = nil
        }
    }

    public var description: String { value.map { "\(name):\($0)" } ?? name }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<channels>]` (RFC 4566 §6).
public struct SDPRtpMap: Hashable, Sendable, CustomStringConvertible {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: Int
    public var channels: Int?

    public init(payloadType: UInt8, encodingName: String, clockRate: Int, channels: Int? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    init?(attributeValue v: String) {
        let parts = v.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, let pt = UInt8(parts[0]), pt < 128 else { return nil }
        let enc = parts[1].sipTrimmed.split(separator: "/")
        guard enc.count >= 2, let rate = Int(enc[1]) else { return nil }
        payloadType = pt
        encodingName = String(enc[0])
        clockRate = rate
        channels = enc.count > 2 ? Int(enc[2]) : nil
    }

    public var description: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// Media direction attributes (RFC 4566 §6, RFC 3264 §5.1, §6.1).
public enum SDPDirection: String, Sendable, Hashable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    /// The answerer's direction for an offer with this direction (RFC 3264 §6.1).
    public var mirrored: SDPDirection {
        switch self {
        case .sendrecv: .sendrecv
        case .sendonly: .recvonly
        case .recvonly: .sendonly
        case .inactive: .inactive
        }
    }

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }
}

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
