import Logging
import NIOCore
import NIOEmbedded
import XCTest
@testable import Media

/// The send path driven by a fake clock: sessions on `EmbeddedChannel`s, ticks called
/// by hand, packets read back from the channels.
final class MediaSessionClockTests: XCTestCase {
    final class FakeTime: @unchecked Sendable {
        var now = NIODeadline.uptimeNanoseconds(5_000_000_000)
    }

    struct Harness {
        let loop: EmbeddedEventLoop
        let time: FakeTime
        let clock: MediaClock
        let session: MediaSession
        let rtp: EmbeddedChannel
        let rtcp: EmbeddedChannel
        let rtpHandler: RTPInboundHandler
        let closed: ClosedFlag
    }

    final class ClosedFlag: @unchecked Sendable { var value = false }

    let remote = try! SocketAddress(ipAddress: "192.0.2.1", port: 40000)

    func makeHarness(loop: EmbeddedEventLoop = EmbeddedEventLoop(), clock: MediaClock? = nil,
                     time: FakeTime = FakeTime()) throws -> Harness {
        let clock = clock ?? MediaClock(eventLoop: loop, now: { time.now })
        let rtpHandler = RTPInboundHandler()
        let rtcpHandler = RTCPInboundHandler()
        let rtp = EmbeddedChannel(handler: rtpHandler, loop: loop)
        let rtcp = EmbeddedChannel(handler: rtcpHandler, loop: loop)
        try rtp.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        try rtcp.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 2)).wait()
        let closed = ClosedFlag()
        let session = MediaSession(eventLoop: loop, localPort: 20000, rtpChannel: rtp, rtcpChannel: rtcp,
                                   rtpHandler: rtpHandler, rtcpHandler: rtcpHandler, clock: clock,
                                   logger: Logger(label: "test"), onClose: { closed.value = true })
        return Harness(loop: loop, time: time, clock: clock, session: session, rtp: rtp, rtcp: rtcp,
                       rtpHandler: rtpHandler, closed: closed)
    }

    func advance(_ harness: Harness, milliseconds: Int64) {
        harness.time.now = harness.time.now + .milliseconds(milliseconds)
        harness.clock.tick(now: harness.time.now)
    }

    func sent(_ harness: Harness) throws -> [(AddressedEnvelope<ByteBuffer>, RTPPacket)] {
        var result: [(AddressedEnvelope<ByteBuffer>, RTPPacket)] = []
        while let envelope = try harness.rtp.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            result.append((envelope, try RTPPacket(parsing: envelope.data.readableBytesView)))
        }
        return result
    }

    func testNothingIsSentBeforeStartThenSilenceEvery20Milliseconds() throws {
        let harness = try makeHarness()
        advance(harness, milliseconds: 100)
        XCTAssertEqual(try sent(harness).count, 0)
        harness.session.start(remote: remote, law: .alaw, payloadType: 8, telephoneEventPayloadType: 101)
        XCTAssertEqual(harness.clock.sessionCount, 1)
        XCTAssertTrue(harness.clock.isRunning)
        for _ in 0..<3 { advance(harness, milliseconds: 20) }
        let packets = try sent(harness)
        XCTAssertEqual(packets.count, 3)
        XCTAssertEqual(packets.map { $0.0.remoteAddress }, [remote, remote, remote])
        let rtp = packets.map(\.1)
        XCTAssertEqual(rtp.map(\.marker), [true, false, false])
        XCTAssertEqual(rtp.map(\.payloadType), [8, 8, 8])
        XCTAssertEqual(rtp.map(\.ssrc), Array(repeating: harness.session.ssrc, count: 3))
        XCTAssertEqual(rtp[1].sequenceNumber, rtp[0].sequenceNumber &+ 1)
        XCTAssertEqual(rtp[2].sequenceNumber, rtp[0].sequenceNumber &+ 2)
        XCTAssertEqual(rtp[1].timestamp, rtp[0].timestamp &+ 160)
        XCTAssertEqual(rtp[2].timestamp, rtp[0].timestamp &+ 320)
        XCTAssertTrue(rtp.allSatisfy { $0.payload == [UInt8](repeating: 0xD5, count: 160) }, "A-law silence")
        XCTAssertEqual(harness.session.stats.packetsSent, 3)
        XCTAssertEqual(harness.session.stats.octetsSent, 480)
    }

    func testPlaysPromptsBackToBackThenSilenceAndReportsTheTokenOnce() throws {
        let harness = try makeHarness()
        var finished: [UInt64] = []
        harness.session.onPlaybackFinished = { finished.append($0) }
        let first = Prompt(name: "a", language: "en", samples: [Int16](repeating: 1000, count: 320))
        let second = Prompt(name: "b", language: "en", samples: [Int16](repeating: -2000, count: 100))
        harness.session.play([first, second], token: 7)
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        XCTAssertTrue(harness.session.isPlaying)
        for _ in 0..<3 { advance(harness, milliseconds: 20) }
        XCTAssertEqual(finished, [7], "reported right after the last frame went out")
        XCTAssertFalse(harness.session.isPlaying)
        for _ in 0..<2 { advance(harness, milliseconds: 20) }
        let payloads = try sent(harness).map(\.1.payload)
        XCTAssertEqual(payloads.count, 5)
        XCTAssertEqual(payloads[0], Array(first.frame(0, .ulaw)))
        XCTAssertEqual(payloads[1], Array(first.frame(1, .ulaw)))
        XCTAssertEqual(payloads[2], Array(second.frame(0, .ulaw)))
        XCTAssertEqual(payloads[3], [UInt8](repeating: 0xFF, count: 160))
        XCTAssertEqual(finished, [7])
    }

    func testPlayReplacesAndStopIsSilent() throws {
        let harness = try makeHarness()
        var finished: [UInt64] = []
        harness.session.onPlaybackFinished = { finished.append($0) }
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        let long = Prompt(name: "long", language: "en", samples: [Int16](repeating: 500, count: 1600))
        let short = Prompt(name: "short", language: "en", samples: [Int16](repeating: 700, count: 160))
        harness.session.play([long], token: 1)
        advance(harness, milliseconds: 20)
        harness.session.play([short], token: 2)  // barge-in: token 1 is never reported
        advance(harness, milliseconds: 20)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(finished, [2])
        harness.session.play([long], token: 3)
        advance(harness, milliseconds: 20)
        harness.session.stopPlayback()
        advance(harness, milliseconds: 20)
        harness.session.play([Prompt(name: "nothing", language: "en", samples: [])], token: 4)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(finished, [2, 4], "stop reports nothing; an empty prompt finishes at once")
        let payloads = try sent(harness).map(\.1.payload)
        XCTAssertEqual(payloads[0], Array(long.frame(0, .ulaw)))
        XCTAssertEqual(payloads[1], Array(short.frame(0, .ulaw)))
        XCTAssertEqual(payloads[2], [UInt8](repeating: 0xFF, count: 160))
        XCTAssertEqual(payloads[3], Array(long.frame(0, .ulaw)))
        XCTAssertEqual(payloads[4], [UInt8](repeating: 0xFF, count: 160))
    }

    func testALateTickCatchesUpAndAStallIsSkippedNotBurst() throws {
        let harness = try makeHarness()
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        advance(harness, milliseconds: 19)
        XCTAssertEqual(try sent(harness).count, 0, "not due yet")
        advance(harness, milliseconds: 50)  // 69 ms: three frames due
        XCTAssertEqual(try sent(harness).count, 3)
        advance(harness, milliseconds: 31)  // 100 ms: five frames in all, no drift
        XCTAssertEqual(try sent(harness).count, 2)
        advance(harness, milliseconds: 1000)  // a one-second stall
        let burst = try sent(harness).map(\.1)
        XCTAssertEqual(burst.count, Int(MediaClock.maximumCatchUpFrames))
        XCTAssertEqual(harness.clock.framesSkipped, 50 - MediaClock.maximumCatchUpFrames)
        XCTAssertEqual(burst.last!.timestamp &- burst.first!.timestamp, UInt32(160 * (burst.count - 1)))
        advance(harness, milliseconds: 20)
        XCTAssertEqual(try sent(harness).count, 1, "back on the 20 ms grid")
    }

    func testOneClockTicksManySessionsAndFlushesEach() throws {
        let loop = EmbeddedEventLoop()
        let time = FakeTime()
        let clock = MediaClock(eventLoop: loop, now: { time.now })
        let harnesses = try (0..<4).map { _ in try makeHarness(loop: loop, clock: clock, time: time) }
        for harness in harnesses {
            harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        }
        XCTAssertEqual(clock.sessionCount, 4)
        time.now = time.now + .milliseconds(40)
        clock.tick(now: time.now)
        for harness in harnesses {
            XCTAssertEqual(try sent(harness).count, 2)
        }
        _ = try harnesses[1].session.close().wait()
        XCTAssertEqual(clock.sessionCount, 3)
        time.now = time.now + .milliseconds(20)
        clock.tick(now: time.now)
        XCTAssertEqual(try sent(harnesses[1]).count, 0)
        XCTAssertEqual(try sent(harnesses[3]).count, 1)
        for harness in harnesses { _ = try harness.session.close().wait() }
        XCTAssertEqual(clock.sessionCount, 0)
        XCTAssertFalse(clock.isRunning, "no sessions, no timer")
    }

    func testSendDigitEmitsRFC4733InsteadOfAudioAndTheReceiverReadsItOnce() throws {
        let harness = try makeHarness()
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: 101)
        advance(harness, milliseconds: 20)
        harness.session.sendDigit("5", durationMilliseconds: 100)
        for _ in 0..<9 { advance(harness, milliseconds: 20) }
        let packets = try sent(harness).map(\.1)
        let events = packets.filter { $0.payloadType == 101 }
        XCTAssertEqual(events.count, 5, "start, one update, three ends")
        XCTAssertEqual(events.map(\.marker), [true, false, false, false, false])
        XCTAssertEqual(Set(events.map(\.timestamp)).count, 1, "all share the event's start timestamp")
        XCTAssertEqual(events.compactMap { TelephoneEvent(parsing: $0.payload)?.isEnd }, [false, false, true, true, true])
        for (previous, next) in zip(packets, packets.dropFirst()) {
            XCTAssertEqual(next.sequenceNumber, previous.sequenceNumber &+ 1)
        }
        let audioAfter = packets.last!
        XCTAssertEqual(audioAfter.payloadType, 0)
        XCTAssertTrue(audioAfter.marker, "audio resumes as a new talkspurt")
        XCTAssertEqual(audioAfter.timestamp, events[0].timestamp &+ 8 * 160)

        var receiver = MediaReceiver(configuration: .init(law: .ulaw, payloadType: 0, telephoneEventPayloadType: 101,
                                                          inbandDetection: false, expectedRemote: remote))
        var digits: [Character] = []
        for packet in packets {
            packet.serialized().withUnsafeBytes { bytes in
                receiver.receive(bytes, from: remote) { if case .digit(let digit, _) = $0 { digits.append(digit) } }
            }
        }
        XCTAssertEqual(digits, ["5"])
    }

    func testSymmetricRTPSendsToWhereMediaComesFrom() throws {
        let harness = try makeHarness()
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(try sent(harness).first?.0.remoteAddress, remote)
        let natted = try SocketAddress(ipAddress: "198.51.100.9", port: 50123)
        var sequence: UInt16 = 0
        func fromNatted(_ count: Int) throws {
            for _ in 0..<count {
                sequence += 1
                var buffer = ByteBuffer()
                RTPPacket(payloadType: 0, sequenceNumber: sequence, timestamp: UInt32(sequence) * 160, ssrc: 9,
                          payload: [UInt8](repeating: 0xFF, count: 160)).write(into: &buffer)
                try harness.rtp.writeInbound(AddressedEnvelope(remoteAddress: natted, data: buffer))
            }
        }
        // One packet from elsewhere proves nothing (a stray or forged datagram)...
        try fromNatted(1)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(try sent(harness).first?.0.remoteAddress, remote)
        // ...four in a row from one source do: the peer is behind a NAT.
        try fromNatted(3)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(try sent(harness).first?.0.remoteAddress, natted)
        XCTAssertEqual(harness.session.remoteAddress, natted)
        XCTAssertEqual(harness.session.stats.packetsReceived, 4)

        // A re-INVITE with the same SDP address keeps the learned one…
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(try sent(harness).first?.0.remoteAddress, natted)
        // …a new SDP address is used until media shows otherwise.
        let moved = try SocketAddress(ipAddress: "192.0.2.77", port: 41000)
        harness.session.start(remote: moved, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(try sent(harness).first?.0.remoteAddress, moved)
        try fromNatted(4)
        advance(harness, milliseconds: 20)
        XCTAssertEqual(try sent(harness).first?.0.remoteAddress, natted)
    }

    func testDigitsReachOnDigit() throws {
        let harness = try makeHarness()
        var digits: [String] = []
        harness.session.onDigit = { digits.append("\($0):\($1.rawValue)") }
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: 96)
        var buffer = ByteBuffer()
        RTPPacket(marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 0, ssrc: 9,
                  payload: TelephoneEvent(event: 10, duration: 160).serialized()).write(into: &buffer)
        try harness.rtp.writeInbound(AddressedEnvelope(remoteAddress: remote, data: buffer))
        XCTAssertEqual(digits, ["*:rfc4733"])
    }

    func testSenderReportEveryFiveSecondsAndByeOnClose() throws {
        let harness = try makeHarness()
        harness.session.start(remote: remote, law: .ulaw, payloadType: 0, telephoneEventPayloadType: nil)
        var buffer = ByteBuffer()
        RTPPacket(payloadType: 0, sequenceNumber: 1, timestamp: 0, ssrc: 77, payload: [UInt8](repeating: 0xFF, count: 160))
            .write(into: &buffer)
        try harness.rtp.writeInbound(AddressedEnvelope(remoteAddress: remote, data: buffer))
        for _ in 0..<MediaSession.reportIntervalFrames { advance(harness, milliseconds: 20) }
        var reports: [(SocketAddress, [RTCPPacket])] = []
        while let envelope = try harness.rtcp.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            reports.append((envelope.remoteAddress, try RTCPPacket.parseCompound(envelope.data.readableBytesView)))
        }
        XCTAssertEqual(reports.count, 1, "one report within the first 5 s")
        XCTAssertEqual(reports.first?.0.port, 40001, "RTCP goes to the RTP port + 1")
        guard case .senderReport(let report)? = reports.first?.1.first else { return XCTFail("expected an SR first") }
        XCTAssertEqual(report.ssrc, harness.session.ssrc)
        XCTAssertGreaterThan(report.packetCount, 0)
        XCTAssertEqual(report.octetCount, report.packetCount * 160)
        XCTAssertEqual(report.reportBlocks.first?.ssrc, 77, "reports on the peer's stream")
        guard case .other(packetType: 202, _)? = reports.first?.1.dropFirst().first else {
            return XCTFail("SDES CNAME must follow the SR")
        }
        XCTAssertEqual(harness.session.stats.rtcpReportsSent, 1)

        _ = try harness.session.close().wait()
        var bye = false
        while let envelope = try harness.rtcp.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) {
            bye = try RTCPPacket.parseCompound(envelope.data.readableBytesView).contains(.other(packetType: 203, length: 8))
        }
        XCTAssertTrue(bye, "BYE on close")
        XCTAssertTrue(harness.closed.value, "the port is handed back")
        _ = try sent(harness)
        advance(harness, milliseconds: 100)
        XCTAssertEqual(try sent(harness).count, 0, "nothing is sent after close")
        XCTAssertEqual(harness.clock.sessionCount, 0)
    }
}
