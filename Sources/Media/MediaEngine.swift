import Foundation
import Logging
import NIOCore
import NIOPosix

/// Opens media sessions: binds RTP/RTCP port pairs from a range on the requested event
/// loop and attaches each session to that loop's `MediaClock` (one clock per loop,
/// created on first use).
public final class MediaEngine: Sendable {
    public let group: any EventLoopGroup
    public let bindHost: String
    public let portRange: ClosedRange<Int>
    private let ports: RTPPortPool
    private let clocks = ClockRegistry()
    private let logger: Logger
    /// `media.symmetric-rtp`, for every session opened.
    public let symmetricRTP: SymmetricRTP

    /// Bind attempts per `openSession` before giving up (ports taken by other programs).
    public static let maximumBindAttempts = 32
    /// The largest RTP or RTCP datagram read whole (a larger one is cut to this): G.711 up
    /// to 125 ms a packet (20 ms is 172 octets), RTCP compounds of a few hundred. NIO keeps
    /// one receive buffer per socket that has read; its default, 2,048 octets, on both of
    /// a call's sockets, was memory every held call paid for nothing. A power of two:
    /// ByteBuffer rounds capacities up to one.
    public static let largestDatagram = 1_024

    public init(group: any EventLoopGroup, bindHost: String, portRange: ClosedRange<Int>,
                symmetricRTP: SymmetricRTP = .default, logger: Logger) {
        self.symmetricRTP = symmetricRTP
        self.group = group
        self.bindHost = bindHost
        self.portRange = portRange
        self.ports = RTPPortPool(range: portRange)
        self.logger = logger
    }

    /// Port pairs currently held by open sessions.
    public var portsInUse: Int { ports.portsInUse }
    /// Port pairs the range holds.
    public var portCapacity: Int { ports.capacity }

    /// Binds an even RTP port and the next odd one for RTCP on `loop`, retrying with
    /// the next pair when a port is taken (EADDRINUSE or any bind error).
    /// Refused without a socket opened while fewer than `DescriptorHeadroom.reserve`
    /// descriptors are free.
    public func openSession(on loop: any EventLoop) -> EventLoopFuture<MediaSession> {
        guard DescriptorHeadroom.isAvailable() else {
            return loop.makeFailedFuture(MediaError.noPortAvailable(
                range: portRange, attempts: 0,
                lastError: "fewer than \(DescriptorHeadroom.reserve) file descriptors free (RLIMIT_NOFILE)"))
        }
        return attempt(on: loop, remaining: min(MediaEngine.maximumBindAttempts, ports.capacity), lastError: nil)
    }

    /// A conference mixed on `loop` (open its participants' sessions on the same loop
    /// to spare the cross-loop handoff), for at most `maximumParticipants` parties.
    public func makeConference(on loop: any EventLoop, maximumParticipants: Int) -> MediaConference {
        MediaConference(clock: clocks.clock(for: loop), maximumParticipants: maximumParticipants)
    }

    private func attempt(on loop: any EventLoop, remaining: Int, lastError: (any Error)?) -> EventLoopFuture<MediaSession> {
        guard remaining > 0, let port = ports.reserve() else {
            return loop.makeFailedFuture(MediaError.noPortAvailable(
                range: portRange, attempts: min(MediaEngine.maximumBindAttempts, ports.capacity),
                lastError: lastError.map { "\($0)" }))
        }
        let ports = self.ports
        let logger = self.logger
        return bindRTP(on: loop, port: port, logger: logger)
            .flatMap { rtp, rtpSocket in
                self.bootstrap(on: loop, handler: { RTCPInboundHandler(logger: logger) })
                    .bind(host: self.bindHost, port: port + 1)
                    .flatMapError { error in
                        rtp.close(promise: nil)
                        return loop.makeFailedFuture(error)
                    }
                    .flatMapThrowing { rtcp in
                        try self.makeSession(loop: loop, port: port, rtp: rtp, rtpSocket: rtpSocket, rtcp: rtcp)
                    }
            }
            .flatMapError { error in
                ports.release(port)
                logger.debug("RTP port pair unavailable, trying the next", metadata: [
                    "port": "\(port)", "error": "\(error)"])
                return self.attempt(on: loop, remaining: remaining - 1, lastError: error)
            }
    }

    /// The RTP socket, bound here so that its packets are sent (`RTPSocket`) and read
    /// (`RTPReceiveBatch`, on the clock's tick) without NIO. The channel only owns it: it
    /// never reads (`autoRead` off, so the socket is not even registered for reading) and
    /// it closes the descriptor.
    private func bindRTP(on loop: any EventLoop, port: Int, logger: Logger) -> EventLoopFuture<(any Channel, RTPSocket)> {
        let socket: RTPSocket
        do {
            socket = try RTPSocket.bound(to: SocketAddress.makeAddressResolvingHost(bindHost, port: port))
        } catch {
            return loop.makeFailedFuture(error)
        }
        // From here the descriptor is the channel's: NIO closes it with the channel.
        return bootstrap(on: loop, handler: { RTPInboundHandler(logger: logger) })
            .channelOption(.autoRead, value: false)
            .withBoundSocket(socket.descriptor)
            .map { ($0, socket) }
    }

    private func bootstrap<Handler: ChannelHandler>(
        on loop: any EventLoop, handler makeHandler: @escaping @Sendable () -> Handler
    ) -> DatagramBootstrap {
        DatagramBootstrap(group: loop)
            // One read per readable event (the RTCP socket; RTP is read on the clock's
            // tick): a packet every few seconds, so NIO's default (read up to 4) costs a
            // second recvmsg that only says EAGAIN. The loop's epoll is level-triggered:
            // a packet still queued is reported again on the next turn.
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.largestDatagram))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(makeHandler())
                }
            }
    }

    private func makeSession(loop: any EventLoop, port: Int, rtp: any Channel, rtpSocket: RTPSocket,
                             rtcp: any Channel) throws -> MediaSession {
        let rtpHandler = try rtp.pipeline.syncOperations.handler(type: RTPInboundHandler.self)
        let rtcpHandler = try rtcp.pipeline.syncOperations.handler(type: RTCPInboundHandler.self)
        let ports = self.ports
        return MediaSession(
            eventLoop: loop, localPort: port, rtpChannel: rtp, rtpSocket: rtpSocket, rtcpChannel: rtcp,
            rtpHandler: rtpHandler, rtcpHandler: rtcpHandler, clock: clocks.clock(for: loop),
            symmetricRTP: symmetricRTP, logger: logger, onClose: { ports.release(port) })
    }
}

/// One `MediaClock` per event loop, created on first use. The lock guards only the
/// dictionary (taken once per session opened, never per packet).
final class ClockRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var clocks: [ObjectIdentifier: MediaClock] = [:]

    func clock(for loop: any EventLoop) -> MediaClock {
        let key = ObjectIdentifier(loop as AnyObject)
        return lock.withLock {
            if let clock = clocks[key] { return clock }
            let clock = MediaClock(eventLoop: loop)
            clocks[key] = clock
            return clock
        }
    }
}
