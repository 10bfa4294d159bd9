import Logging
import NIOCore

/// The receive end of a session's RTP socket: hands each datagram to its
/// `MediaReceiver` and passes the resulting events on. One per RTP channel; confined
/// to the channel's event loop like every handler.
public final class RTPInboundHandler: ChannelInboundHandler {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>

    public var receiver: MediaReceiver
    /// Called on the event loop for each digit and address change.
    public var onEvent: ((MediaReceiver.Event) -> Void)?
    /// Called on the event loop with each audio packet's header, payload (valid only
    /// during the call) and law, while a bridge or conference needs them.
    public var onAudio: ((RTPHeader, UnsafeRawBufferPointer, G711Law) -> Void)?
    private let logger: Logger

    public init(receiver: MediaReceiver = MediaReceiver(), logger: Logger = Logger(label: "switchback.media.rtp")) {
        self.receiver = receiver
        self.logger = logger
    }

    /// A datagram NIO read (a session whose socket the engine did not open: tests).
    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        envelope.data.withUnsafeReadableBytes { bytes in
            receive(bytes, from: envelope.remoteAddress, arrivalNanoseconds: NIODeadline.now().uptimeNanoseconds)
        }
    }

    /// A datagram, however it was read (`MediaSession.receivePending` reads the engine's
    /// sockets on the clock's tick). `arrivalNanoseconds` only has to be on one clock for
    /// the session's packets: it feeds the jitter estimate.
    func receive(_ bytes: UnsafeRawBufferPointer, from source: SocketAddress, arrivalNanoseconds: UInt64) {
        let onEvent = self.onEvent
        receiver.receive(bytes, from: source, arrivalNanoseconds: arrivalNanoseconds, audio: onAudio) { event in
            onEvent?(event)
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A UDP socket reports transient errors (ICMP unreachable…); media goes on.
        logger.debug("RTP socket error", metadata: ["error": "\(error)"])
    }
}

/// The receive end of a session's RTCP socket: parses compound packets and hands them
/// on; malformed ones are counted and dropped.
public final class RTCPInboundHandler: ChannelInboundHandler {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>

    public var onPackets: (([RTCPPacket], SocketAddress) -> Void)?
    public private(set) var packetsMalformed: UInt64 = 0
    public private(set) var lastError: RTCPParseError?
    private let logger: Logger

    public init(logger: Logger = Logger(label: "switchback.media.rtcp")) {
        self.logger = logger
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        do {
            let packets = try RTCPPacket.parseCompound(envelope.data.readableBytesView)
            onPackets?(packets, envelope.remoteAddress)
        } catch {
            packetsMalformed += 1
            lastError = error
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("RTCP socket error", metadata: ["error": "\(error)"])
    }
}
