/// Why offer/answer failed; a UAS answers an INVITE with 488 (RFC 3264 §6).
public enum SDPNegotiationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No usable `m=audio` RTP/AVP stream with a non-zero port.
    case noAudioStream
    /// Audio was offered but none of its codecs is one we support.
    case noCommonCodec(offered: [String])
    /// Neither the media section nor the session has a `c=` line.
    case missingConnection
    /// The answer does not match the offer (RFC 3264 §6: same number of m= lines...).
    case answerDoesNotMatchOffer(String)
    /// The answer rejected our audio stream (port 0).
    case audioRejected

    public var description: String {
        switch self {
        case .noAudioStream: "no audio RTP/AVP stream offered"
        case .noCommonCodec(let offered): "no common audio codec (offered: \(offered.joined(separator: ", ")))"
        case .missingConnection: "no connection address (c=) for the audio stream"
        case .answerDoesNotMatchOffer(let why): "answer does not match offer: \(why)"
        case .audioRejected: "the answer rejected the audio stream"
        }
    }
}
