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
