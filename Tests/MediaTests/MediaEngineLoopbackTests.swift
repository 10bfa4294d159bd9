import Logging
import Foundation
import NIOCore
import NIOPosix
import XCTest
@testable import Media

/// Real sockets on 127.0.0.1, one event loop, bounded waits, everything closed.
final class MediaEngineLoopbackTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!
    private var engine: MediaEngine!

    override func setUp() {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        engine = MediaEngine(group: group, bindHost: "127.0.0.1", portRange: 46000...46999,
                             logger: Logger(label: "media-test"))
    }

    override func tearDownWithError() throws {
        XCTAssertEqual(engine.portsInUse, 0, "every port returned")
        try group.syncShutdownGracefully()
    }

    private func address(of session: MediaSession) throws -> SocketAddress {
        try SocketAddress(ipAddress: "127.0.0.1", port: session.localPort)
    }

    func testSessionsBindEvenPortsWithRTCPOnTheNext() throws {
        let loop = group.next()
        let a = try engine.openSession(on: loop).wait()
        let b = try engine.openSession(on: loop).wait()
        XCTAssertEqual(a.localPort % 2, 0)
        XCTAssertEqual(b.localPort % 2, 0)
        XCTAssertNotEqual(a.localPort, b.localPort)
        XCTAssertEqual(a.rtcpChannel.localAddress?.port, a.localPort + 1)
        XCTAssertEqual(engine.portsInUse, 2)
        try a.close().wait()
        try b.close().wait()
        try a.close().wait()  // closing twice is harmless
    }

    /// The receive handlers hold their session strongly (no weak reference: issue 19);
    /// closing breaks that cycle, so a closed session that nobody holds is freed.
    func testAClosedSessionIsFreed() throws {
        let loop = group.next()
        weak var released: MediaSession?
        try {
            let session = try engine.openSession(on: loop).wait()
            session.start(remote: try SocketAddress(ipAddress: "127.0.0.1", port: 9), law: .alaw, payloadType: 8,
                          telephoneEventPayloadType: 101)
            released = session
            try session.close().wait()
        }()
        // The loop's own references (the clock's last tick, the close callbacks) go with its next turn.
        try loop.submit {}.wait()
        XCTAssertNil(released, "a closed session is freed")
    }

    func testPortRangeExhaustionIsAClearErrorAndPortsComeBack() throws {
        let small = MediaEngine(group: group, bindHost: "127.0.0.1", portRange: 46990...46993,
                                logger: Logger(label: "media-test"))
        let loop = group.next()
        let first = try small.openSession(on: loop).wait()
        let second = try small.openSession(on: loop).wait()
        XCTAssertThrowsError(try small.openSession(on: loop).wait()) { error in
            guard case MediaError.noPortAvailable(let range, _, _)? = error as? MediaError else {
                return XCTFail("expected noPortAvailable, got \(error)")
            }
            XCTAssertEqual(range, 46990...46993)
        }
        try first.close().wait()
        let third = try small.openSession(on: loop).wait()
        XCTAssertEqual(third.localPort, first.localPort)
        try second.close().wait()
        try third.close().wait()
        XCTAssertEqual(small.portsInUse, 0)
    }

    func testBusyPortIsSkipped() throws {
        // Somebody else holds the first port of the range: the engine moves on.
        let blocker = try DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 46980).wait()
        let engine = MediaEngine(group: group, bindHost: "127.0.0.1", portRange: 46980...46985,
                                 logger: Logger(label: "media-test"))
        let session = try engine.openSession(on: group.next()).wait()
        XCTAssertEqual(session.localPort, 46982)
        try session.close().wait()
        try blocker.close().wait()
    }

    /// A datagram of `largestDatagram` octets (G.711 at 125 ms) is read whole; a larger
    /// one is cut to that (NIO's receive buffer per socket is that size, not its 2 KB
    /// default: memory every held call keeps).
    func testTheLargestDatagramIsReadWhole() throws {
        let loop = group.next()
        let session = try engine.openSession(on: loop).wait()
        let sender = try DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        func send(payloadOctets: Int, sequence: UInt16) throws {
            var buffer = sender.allocator.buffer(capacity: 12 + payloadOctets)
            buffer.writeInteger(UInt8(0x80))
            buffer.writeInteger(UInt8(0))                        // PCMU
            buffer.writeInteger(sequence)
            buffer.writeInteger(UInt32(160) * UInt32(sequence))  // timestamp
            buffer.writeInteger(UInt32(0x1234_5678))             // SSRC
            buffer.writeRepeatingByte(0xFF, count: payloadOctets)
            try sender.writeAndFlush(AddressedEnvelope(remoteAddress: try address(of: session), data: buffer)).wait()
        }
        XCTAssertEqual(MediaEngine.largestDatagram, 1_024)
        try send(payloadOctets: MediaEngine.largestDatagram - 12, sequence: 1)
        let deadline = Date().addingTimeInterval(5)
        var stats = try session.statistics().wait()
        while stats.packetsReceived < 1, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
            stats = try session.statistics().wait()
        }
        XCTAssertEqual(stats.packetsReceived, 1)
        XCTAssertEqual(stats.octetsReceived, UInt64(MediaEngine.largestDatagram - 12), "1,024 octets read whole")
        // A 1,600-octet datagram (G.711 at 200 ms: no peer sends one) is cut to the buffer.
        try send(payloadOctets: 1_600 - 12, sequence: 2)
        while stats.packetsReceived < 2, Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
            stats = try session.statistics().wait()
        }
        XCTAssertEqual(stats.packetsReceived, 2)
        XCTAssertEqual(stats.octetsReceived, UInt64(2 * (MediaEngine.largestDatagram - 12)), "read up to the buffer's end")
        try sender.close().wait()
        try session.close().wait()
    }

    /// RTP leaves through the socket the engine bound (`RTPSocket`), not NIO's write
    /// path. When NIO closes that channel under a session still on the clock (as on a
    /// socket error), the session sends nothing more and counts its packets dropped: the
    /// descriptor number may already be another socket's — here, at once, a new one.
    func testASessionWhoseRTPChannelClosedSendsNothingThroughTheReusedDescriptor() throws {
        let loop = group.next()
        let session = try engine.openSession(on: loop).wait()
        let received = LockedStrings()
        let listener = try DatagramBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramSources(into: received))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        let destination = try XCTUnwrap(listener.localAddress)
        try loop.submit { session.start(remote: destination, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil) }.wait()
        let deadline = Date().addingTimeInterval(5)
        while received.values.count < 5, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        XCTAssertEqual(Set(received.values), ["127.0.0.1:\(session.localPort)"], "silence comes from the session's RTP port")

        let descriptor = try XCTUnwrap(session.rtpSocket?.descriptor)
        // Closed and a new socket made in one turn of the loop: no tick runs between them.
        let reused = try loop.submit { () -> CInt in
            session.rtpChannel.close(promise: nil)
            let reused = socket(AF_INET, CInt(SOCK_DGRAM.rawValue), 0)
            var any = sockaddr_in()
            any.sin_family = sa_family_t(AF_INET)
            any.sin_addr.s_addr = inet_addr("127.0.0.1")
            _ = withUnsafePointer(to: &any) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(reused, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            return reused
        }.wait()
        defer { close(reused) }
        XCTAssertEqual(reused, descriptor, "the new socket took the closed one's number (the case the check is for)")
        let before = received.values.count
        let droppedBefore = try loop.submit { session.stats.packetsDropped }.wait()
        Thread.sleep(forTimeInterval: 0.3)
        XCTAssertEqual(received.values.count, before, "nothing more was sent, from any socket: \(received.values.suffix(3))")
        XCTAssertGreaterThanOrEqual(try loop.submit { session.stats.packetsDropped }.wait() - droppedBefore, 5,
                                    "the frames due meanwhile are counted dropped")
        try session.close().wait()
        try listener.close().wait()
    }

    func testAPlaysAPromptToB() throws {
        let loop = group.next()
        let a = try engine.openSession(on: loop).wait()
        let b = try engine.openSession(on: loop).wait()
        let prompt = Prompt(name: "tone", language: "en", samples: ToneSynthesis.sine(440, milliseconds: 1000, amplitude: 8000))
        XCTAssertEqual(prompt.frameCount, 50)
        let finished = loop.makePromise(of: UInt64.self)
        let addressB = try address(of: b)
        let addressA = try address(of: a)
        try loop.submit {
            b.start(remote: addressA, law: .ulaw, payloadType: 0, telephoneEventPayloadType: 101)
            a.onPlaybackFinished = { token in
                // Stop A at once so that B's count is the prompt alone.
                a.close().whenComplete { _ in finished.succeed(token) }
            }
            a.play([prompt], token: 42)
            a.start(remote: addressB, law: .ulaw, payloadType: 0, telephoneEventPayloadType: 101)
        }.wait()
        let token = try finished.futureResult.wait()  // about 1 s
        XCTAssertEqual(token, 42)
        Thread.sleep(forTimeInterval: 0.2)
        let stats = try loop.submit { b.stats }.wait()
        // One packet per 20 ms frame of the prompt. A keeps its stream going with silence
        // until its close lands: on a loaded loop the clock can catch up a tick before the
        // playback-finished callback runs (51 packets, seen under load), never a frame less.
        XCTAssertTrue((50...52).contains(stats.packetsReceived), "\(stats.packetsReceived) packets for the prompt's 50 frames")
        XCTAssertEqual(stats.octetsReceived, stats.packetsReceived * 160)
        XCTAssertEqual(stats.packetsLost, 0)
        try b.close().wait()
    }

    func testRFC4733DigitsFromARawSocketArriveExactlyOnce() throws {
        let loop = group.next()
        let b = try engine.openSession(on: loop).wait()
        let sender = try DatagramBootstrap(group: group).bind(host: "127.0.0.1", port: 0).wait()
        let senderAddress = try XCTUnwrap(sender.localAddress)
        let received = LockedStrings()
        let threeDigits = loop.makePromise(of: Void.self)
        try loop.submit {
            b.onDigit = { digit, source in
                let count = received.append("\(digit)/\(source.rawValue)")
                if count == 3 { threeDigits.succeed(()) }
            }
            b.start(remote: senderAddress, law: .ulaw, payloadType: 0, telephoneEventPayloadType: 101)
        }.wait()
        var sequence: UInt16 = 100
        var timestamp: UInt32 = 8000
        let destination = try address(of: b)
        for digit in "0#0" {
            let code = TelephoneEvent.code(forDigit: digit)!
            let events = [TelephoneEvent(event: code, duration: 160), TelephoneEvent(event: code, duration: 400),
                          TelephoneEvent(event: code, duration: 800)]
                + Array(repeating: TelephoneEvent(event: code, isEnd: true, duration: 960), count: 3)
            for (index, event) in events.enumerated() {
                var buffer = sender.allocator.buffer(capacity: 16)
                RTPPacket(marker: index == 0, payloadType: 101, sequenceNumber: sequence, timestamp: timestamp,
                          ssrc: 0x5151, payload: event.serialized()).write(into: &buffer)
                sender.write(AddressedEnvelope(remoteAddress: destination, data: buffer), promise: nil)
                sequence &+= 1
            }
            sender.flush()
            timestamp &+= 4000
        }
        let deadline = loop.scheduleTask(in: .seconds(5)) { threeDigits.fail(ChannelError.connectTimeout(.seconds(5))) }
        try threeDigits.futureResult.wait()
        deadline.cancel()
        Thread.sleep(forTimeInterval: 0.2)  // any duplicate would arrive by now
        XCTAssertEqual(received.values, ["0/rfc4733", "#/rfc4733", "0/rfc4733"])
        let stats = try loop.submit { b.stats }.wait()
        XCTAssertEqual(stats.packetsReceived, 18)
        XCTAssertEqual(stats.packetsLost, 0)
        try b.close().wait()
        try sender.close().wait()
    }

    func testSendDigitReachesThePeerAsOneRFC4733Digit() throws {
        let loop = group.next()
        let a = try engine.openSession(on: loop).wait()
        let b = try engine.openSession(on: loop).wait()
        let got = loop.makePromise(of: String.self)
        let addressA = try address(of: a)
        let addressB = try address(of: b)
        try loop.submit {
            b.onDigit = { digit, source in got.succeed("\(digit)/\(source.rawValue)") }
            b.start(remote: addressA, law: .alaw, payloadType: 8, telephoneEventPayloadType: 101)
            a.start(remote: addressB, law: .alaw, payloadType: 8, telephoneEventPayloadType: 101)
            a.sendDigit("B")
        }.wait()
        let deadline = loop.scheduleTask(in: .seconds(5)) { got.fail(ChannelError.connectTimeout(.seconds(5))) }
        XCTAssertEqual(try got.futureResult.wait(), "B/rfc4733")
        deadline.cancel()
        try a.close().wait()
        try b.close().wait()
    }

    func testInbandDigitsWhenThePeerOffersNoTelephoneEvent() throws {
        let loop = group.next()
        let a = try engine.openSession(on: loop).wait()
        let b = try engine.openSession(on: loop).wait()
        var samples: [Int16] = []
        for digit in "38" {
            samples += ToneSynthesis.tone(digit, milliseconds: 100) + ToneSynthesis.silence(milliseconds: 100)
        }
        let tones = Prompt(name: "tones", language: "en", samples: samples)
        let received = LockedStrings()
        let two = loop.makePromise(of: Void.self)
        let addressA = try address(of: a)
        let addressB = try address(of: b)
        try loop.submit {
            b.onDigit = { digit, source in
                let count = received.append("\(digit)/\(source.rawValue)")
                if count == 2 { two.succeed(()) }
            }
            b.start(remote: addressA, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
            a.start(remote: addressB, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
            a.play([tones], token: 1)
        }.wait()
        let deadline = loop.scheduleTask(in: .seconds(5)) { two.fail(ChannelError.connectTimeout(.seconds(5))) }
        try two.futureResult.wait()
        deadline.cancel()
        XCTAssertEqual(received.values, ["3/inband", "8/inband"])
        try a.close().wait()
        try b.close().wait()
    }
}

/// Digits collected on the event loop and read by the test thread.
final class LockedStrings: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []

    /// Appends and returns the new count.
    func append(_ value: String) -> Int {
        lock.withLock {
            storage.append(value)
            return storage.count
        }
    }

    var values: [String] { lock.withLock { storage } }
}

/// Records the source address of each datagram a test socket reads.
final class DatagramSources: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let sources: LockedStrings

    init(into sources: LockedStrings) {
        self.sources = sources
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        _ = sources.append("\(envelope.remoteAddress.ipAddress ?? "?"):\(envelope.remoteAddress.port ?? 0)")
    }
}
