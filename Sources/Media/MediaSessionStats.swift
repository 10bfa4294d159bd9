import NIOCore

/// Counters of one media session (RTP octets are payload octets, as RTCP counts them).
public struct MediaSessionStats: Sendable, Equatable {
    public var packetsSent: UInt64 = 0
    public var octetsSent: UInt64 = 0
    /// Packets not sent because the socket's send buffer was full.
    public var packetsDropped: UInt64 = 0
    public var packetsReceived: UInt64 = 0
    public var octetsReceived: UInt64 = 0
    /// Sequence-number gaps of the received stream (RFC 3550 A.3).
    public var packetsLost: Int64 = 0
    /// Interarrival jitter of the received audio, in samples (RFC 3550 A.8).
    public var jitter: UInt32 = 0
    /// Datagrams on the RTP port that were not valid RTP.
    public var packetsMalformed: UInt64 = 0
    public var rtcpReportsSent: UInt64 = 0
    public var rtcpPacketsReceived: UInt64 = 0
    /// The last SR or RR the peer sent.
    public var lastRTCP: RTCPPacket?

    public init() {}
}
