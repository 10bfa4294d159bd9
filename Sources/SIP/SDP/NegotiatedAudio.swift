/// The outcome of an offer/answer exchange for the one audio stream, from this
/// side's point of view: where to send RTP, with which payload types, and whether
/// we send and/or receive.
public struct NegotiatedAudio: Sendable, Hashable {
    public var remoteAddress: String
    public var remotePort: Int
    public var codec: SDPAudioCodec
    public var payloadType: UInt8
    /// RFC 4733 telephone-event payload type both sides agreed, nil if none.
    public var telephoneEventPayloadType: UInt8?
    public var ptimeMilliseconds: Int
    /// Our direction: `.sendonly` means we send and do not expect media.
    public var direction: SDPDirection

    public init(remoteAddress: String, remotePort: Int, codec: SDPAudioCodec, payloadType: UInt8, telephoneEventPayloadType: UInt8?, ptimeMilliseconds: Int, direction: SDPDirection) {
        self.remoteAddress = remoteAddress
        self.remotePort = remotePort
        self.codec = codec
        self.payloadType = payloadType
        self.telephoneEventPayloadType = telephoneEventPayloadType
        self.ptimeMilliseconds = ptimeMilliseconds
        self.direction = direction
    }
}
