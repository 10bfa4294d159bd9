import SIP

/// A provisional response other than 100 (RFC 3261 §13.2.2.1): ringing, or early
/// media when it carries SDP (typically 183 Session Progress: the network plays its
/// ring-back tone or announcements on `earlyMedia`'s address).
public struct OutboundCallProgress: Sendable, Hashable {
    public var status: Int
    public var reasonPhrase: String
    /// The remote media of the early session, when the provisional carried SDP.
    public var earlyMedia: SessionDescription?

    public init(status: Int, reasonPhrase: String, earlyMedia: SessionDescription? = nil) {
        self.status = status
        self.reasonPhrase = reasonPhrase
        self.earlyMedia = earlyMedia
    }
}
