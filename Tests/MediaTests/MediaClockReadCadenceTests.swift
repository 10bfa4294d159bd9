#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOEmbedded
import XCTest
@testable import Media

/// How often the clock reads a session's real RTP socket: every third tick for a session
/// that relays nothing (the clock's sessions taking turns), every tick for one that is
/// bridged or in a conference. The clock is driven by hand on an embedded loop; the sockets
/// are real, on 127.0.0.1 (a loopback datagram is waiting by the time `sendto` returns).
final class MediaClockReadCadenceTests: XCTestCase {
    private final class FakeTime: @unchecked Sendable {
        var now = NIODeadline.uptimeNanoseconds(7_000_000_000)
    }

    /// Takes nothing and sends silence: enough to make a session one that relays.
    private final class SilentAttachment: MediaSessionAttachment {
        func sessionReceivedAudio(_ payload: UnsafeRawBufferPointer, timestamp: UInt32, ssrc: UInt32, law: G711Law) {}
        func sessionReceivedDigit(_ digit: Character, source: DTMFSource) {}
        func sessionWriteFrame(into buffer: inout ByteBuffer, law: G711Law) -> Bool { false }
        func sessionSkippedFrame(playing token: UInt64?) {}
        func sessionClosed() {}
    }

    private let loop = EmbeddedEventLoop()
    private let time = FakeTime()
    private var clock: MediaClock!
    private var sessions: [MediaSession] = []
    private var sender: RTPSocket!
    private var sequenceNumber: UInt16 = 1

    override func setUpWithError() throws {
        let time = self.time
        clock = MediaClock(eventLoop: loop, now: { time.now })
        sender = try RTPSocket.bound(to: SocketAddress(ipAddress: "127.0.0.1", port: 0))
    }

    override func tearDownWithError() throws {
        for session in sessions { _ = session.close() }
        loop.run()
        _ = close(sender.descriptor)
    }

    /// A started session on a real socket, registered with the clock by its opening.
    private func makeSession() throws -> MediaSession {
        let socket = try RTPSocket.bound(to: SocketAddress(ipAddress: "127.0.0.1", port: 0))
        let rtpHandler = RTPInboundHandler()
        let rtcpHandler = RTCPInboundHandler()
        // Active embedded channels stand in for the channels that own the engine's sockets.
        let rtp = EmbeddedChannel(loop: loop)
        let rtcp = EmbeddedChannel(handler: rtcpHandler, loop: loop)
        try rtp.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try rtcp.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let session = MediaSession(eventLoop: loop, localPort: try port(of: socket), rtpChannel: rtp, rtpSocket: socket,
                                   rtcpChannel: rtcp, rtpHandler: rtpHandler, rtcpHandler: rtcpHandler, clock: clock,
                                   logger: Logger(label: "test"), onClose: { _ = close(socket.descriptor) })
        session.start(remote: try SocketAddress(ipAddress: "127.0.0.1", port: 9), law: .alaw, payloadType: 8,
                      telephoneEventPayloadType: 101)
        loop.run()
        sessions.append(session)
        return session
    }

    private func port(of socket: RTPSocket) throws -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let result = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket.descriptor, $0, &length) }
        }
        XCTAssertEqual(result, 0)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// One 20 ms A-law packet from the sender to `session`'s socket.
    private func sendPacket(to session: MediaSession) throws {
        var buffer = ByteBufferAllocator().buffer(capacity: 172)
        RTPPacket(marker: false, payloadType: 8, sequenceNumber: sequenceNumber, timestamp: UInt32(sequenceNumber) * 160,
                  ssrc: 0x5EED, payload: [UInt8](repeating: 0xD5, count: 160)).write(into: &buffer)
        sequenceNumber &+= 1
        XCTAssertNil(sender.send(buffer, to: try SocketAddress(ipAddress: "127.0.0.1", port: session.localPort)))
    }

    private func tick() {
        time.now = time.now + MediaClock.frameInterval
        clock.tick(now: time.now)
        loop.run()
    }

    private func received(_ session: MediaSession) -> UInt64 {
        session.stats.packetsReceived
    }

    func testSessionsThatRelayNothingAreReadEveryThirdTickInTurn() throws {
        XCTAssertEqual(MediaClock.sparseReadTicks, 3)
        let ivr = try (0..<3).map { _ in try makeSession() }
        for session in ivr { try sendPacket(to: session) }
        var readSoFar: [UInt64] = []
        for _ in 0..<3 {
            tick()
            readSoFar.append(ivr.map(received).reduce(0, +))
        }
        // One session's turn per tick: each packet waits for its session's turn, none is lost.
        XCTAssertEqual(readSoFar, [1, 2, 3])
        XCTAssertEqual(ivr.map(received), [1, 1, 1])

        // A session whose turn passed reads everything that waited since, in one go.
        let first = try XCTUnwrap(ivr.first)
        for _ in 0..<3 { try sendPacket(to: first) }
        var firstReads: [UInt64] = []
        for _ in 0..<3 {
            tick()
            firstReads.append(received(first))
        }
        XCTAssertEqual(Set(firstReads), [1, 4], "the three waiting packets are read together at its turn")
        XCTAssertEqual(firstReads.last, 4)
    }

    func testABridgedSessionIsReadEveryTick() throws {
        let bridged = try makeSession()
        bridged.attachment = SilentAttachment()
        XCTAssertTrue(bridged.relaysAudio)
        var reads: [UInt64] = []
        for _ in 0..<4 {
            try sendPacket(to: bridged)
            tick()
            reads.append(received(bridged))
        }
        XCTAssertEqual(reads, [1, 2, 3, 4])

        // Detached (the bridge ended), it goes back to its turns: three packets are read
        // together within three ticks.
        bridged.attachment = nil
        XCTAssertFalse(bridged.relaysAudio)
        for _ in 0..<3 { try sendPacket(to: bridged) }
        reads = []
        for _ in 0..<3 {
            tick()
            reads.append(received(bridged))
        }
        XCTAssertEqual(Set(reads), [4, 7])
        XCTAssertEqual(reads.last, 7)
    }
}
