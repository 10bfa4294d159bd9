import Logging
import NIOCore
import NIOEmbedded
import XCTest
@testable import Media

/// Several sessions on one `EmbeddedEventLoop` sharing one `MediaClock` driven by a
/// fake time: packets are injected into a session's RTP channel as if from its peer,
/// ticks are called by hand, and what each session sent is read back.
final class EmbeddedMediaHarness {
    final class FakeTime: @unchecked Sendable {
        var now = NIODeadline.uptimeNanoseconds(7_000_000_000)
    }

    struct Leg {
        let session: MediaSession
        let rtp: EmbeddedChannel
        let remote: SocketAddress
    }

    let loop = EmbeddedEventLoop()
    let time = FakeTime()
    let clock: MediaClock
    private var nextPort = 30000

    init() {
        let time = self.time
        clock = MediaClock(eventLoop: loop, now: { time.now })
    }

    func makeLeg() throws -> Leg {
        let rtpHandler = RTPInboundHandler()
        let rtcpHandler = RTCPInboundHandler()
        let rtp = EmbeddedChannel(handler: rtpHandler, loop: loop)
        let rtcp = EmbeddedChannel(handler: rtcpHandler, loop: loop)
        try rtp.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try rtcp.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let session = MediaSession(eventLoop: loop, localPort: nextPort, rtpChannel: rtp, rtcpChannel: rtcp,
                                   rtpHandler: rtpHandler, rtcpHandler: rtcpHandler, clock: clock,
                                   logger: Logger(label: "test"), onClose: {})
        let remote = try SocketAddress(ipAddress: "192.0.2.7", port: nextPort + 10000)
        nextPort += 2
        return Leg(session: session, rtp: rtp, remote: remote)
    }

    /// One 20 ms frame: the clock ticks, then tasks queued on the loop run.
    func advance(frames: Int = 1) {
        for _ in 0..<frames {
            time.now = time.now + .milliseconds(20)
            clock.tick(now: time.now)
            loop.run()
        }
    }

    func inject(_ leg: Leg, payloadType: UInt8, sequenceNumber: UInt16, timestamp: UInt32, ssrc: UInt32,
                payload: [UInt8], marker: Bool = false) throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 12 + payload.count)
        RTPPacket(marker: marker, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp,
                  ssrc: ssrc, payload: payload).write(into: &buffer)
        try leg.rtp.writeInbound(AddressedEnvelope(remoteAddress: leg.remote, data: buffer))
    }

    func sent(_ leg: Leg) throws -> [RTPPacket] {
        var packets: [RTPPacket] = []
        while let envelope = try leg.rtp.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            packets.append(try RTPPacket(parsing: envelope.data.readableBytesView))
        }
        return packets
    }

    func wait<Value: Sendable>(_ future: EventLoopFuture<Value>) throws -> Value {
        loop.run()
        return try future.wait()
    }
}

/// A peer's RTP stream into an embedded session: consecutive sequence numbers and
/// timestamps, one 20 ms frame per `next`.
struct InjectedStream {
    let ssrc: UInt32
    var sequenceNumber: UInt16
    var timestamp: UInt32
    let payloadType: UInt8

    mutating func next(_ harness: EmbeddedMediaHarness, into leg: EmbeddedMediaHarness.Leg, payload: [UInt8]) throws {
        try harness.inject(leg, payloadType: payloadType, sequenceNumber: sequenceNumber, timestamp: timestamp,
                           ssrc: ssrc, payload: payload)
        sequenceNumber &+= 1
        timestamp &+= UInt32(payload.count)
    }
}
