import NIOCore
import NIOEmbedded
import XCTest
@testable import Media

final class RTPInboundHandlerTests: XCTestCase {
    private let peer = try! SocketAddress(ipAddress: "192.0.2.10", port: 30000)
    private let natted = try! SocketAddress(ipAddress: "198.51.100.7", port: 61234)

    private func configuration(telephoneEvent: UInt8?) -> MediaReceiver.Configuration {
        MediaReceiver.Configuration(law: .ulaw, payloadType: 0, telephoneEventPayloadType: telephoneEvent,
                                    inbandDetection: telephoneEvent == nil, expectedRemote: peer)
    }

    private func datagram(_ packet: RTPPacket, from source: SocketAddress) -> AddressedEnvelope<ByteBuffer> {
        var buffer = ByteBuffer()
        packet.write(into: &buffer)
        return AddressedEnvelope(remoteAddress: source, data: buffer)
    }

    /// RFC 4733 packets of a press as a phone sends them (one sequence space).
    private func pressPackets(_ digit: Character, timestamp: UInt32, firstSequence: UInt16) -> [RTPPacket] {
        let code = TelephoneEvent.code(forDigit: digit)!
        let events = [TelephoneEvent(event: code, duration: 160), TelephoneEvent(event: code, duration: 400),
                      TelephoneEvent(event: code, isEnd: true, duration: 800),
                      TelephoneEvent(event: code, isEnd: true, duration: 800),
                      TelephoneEvent(event: code, isEnd: true, duration: 800)]
        return events.enumerated().map { index, event in
            RTPPacket(marker: index == 0, payloadType: 101, sequenceNumber: firstSequence &+ UInt16(index),
                      timestamp: timestamp, ssrc: 0xCAFE, payload: event.serialized())
        }
    }

    func testRFC4733DigitsAreReportedOnceEach() throws {
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration(telephoneEvent: 101)))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        var sequence: UInt16 = 65530
        var timestamp: UInt32 = 1000
        for digit in "1#1" {
            for packet in pressPackets(digit, timestamp: timestamp, firstSequence: sequence) {
                try channel.writeInbound(datagram(packet, from: peer))
            }
            sequence &+= 5
            timestamp &+= 2000
        }
        XCTAssertEqual(events, [.digit("1", .rfc4733), .digit("#", .rfc4733), .digit("1", .rfc4733)])
        XCTAssertEqual(handler.receiver.packetsReceived, 15)
        XCTAssertEqual(handler.receiver.sequence.lost, 0, "sequence wrap is not loss")
        XCTAssertTrue(try channel.finish().isClean)
    }

    func testMalformedDatagramsAreCountedAndDoNotStopTheStream() throws {
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration(telephoneEvent: 101)))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeInbound(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: [0x80, 0x00, 0x01])))
        try channel.writeInbound(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(string: "GET / HTTP/1.1\r\n\r\n")))
        for packet in pressPackets("9", timestamp: 50, firstSequence: 1) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        XCTAssertEqual(handler.receiver.packetsMalformed, 2)
        XCTAssertEqual(handler.receiver.lastError, .unsupportedVersion(1))
        XCTAssertEqual(events, [.digit("9", .rfc4733)])
    }

    func testSequenceGapsAreCountedAsLost() throws {
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration(telephoneEvent: nil)))
        let channel = EmbeddedChannel(handler: handler)
        for sequence: UInt16 in [10, 11, 14, 15, 16] {
            let packet = RTPPacket(payloadType: 0, sequenceNumber: sequence, timestamp: UInt32(sequence) * 160,
                                   ssrc: 1, payload: [UInt8](repeating: 0xFF, count: 160))
            try channel.writeInbound(datagram(packet, from: peer))
        }
        XCTAssertEqual(handler.receiver.sequence.lost, 2)
        XCTAssertEqual(handler.receiver.octetsReceived, 5 * 160)
    }

    private func silence(_ sequence: UInt16, ssrc: UInt32 = 1) -> RTPPacket {
        RTPPacket(payloadType: 0, sequenceNumber: sequence, timestamp: UInt32(sequence) * 160, ssrc: ssrc,
                  payload: [UInt8](repeating: 0xFF, count: 160))
    }

    /// A peer behind a NAT: its media comes from another address than its SDP said. Four
    /// consecutive packets from that address make it the peer; one never does.
    func testLearnFollowsANewSourceOnlyAfterFourConsecutivePackets() throws {
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration(telephoneEvent: 101)))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeInbound(datagram(silence(1), from: natted))
        try channel.writeInbound(datagram(silence(7), from: natted))   // not consecutive: starts over
        XCTAssertEqual(events, [], "a stray packet is no reason to move the media")
        XCTAssertEqual(handler.receiver.packetsFromStrangers, 2)
        for sequence: UInt16 in 8...10 { try channel.writeInbound(datagram(silence(sequence), from: natted)) }
        XCTAssertEqual(events, [.remoteLearned(natted)], "7 to 10: four in a row")
        XCTAssertEqual(handler.receiver.packetsFromStrangers, 4, "dropped until the fourth")
        // The signalled address is a stranger now.
        try channel.writeInbound(datagram(silence(3), from: peer))
        XCTAssertEqual(handler.receiver.packetsFromStrangers, 5)
    }

    /// Once the peer was heard at its signalled address, nobody else takes the media, and
    /// a forged RFC 4733 press from another address is not a digit.
    func testAStrangerCannotTakeTheMediaOrTypeDigitsOnceThePeerIsHeard() throws {
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration(telephoneEvent: 101)))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        try channel.writeInbound(datagram(silence(1), from: peer))
        let attacker = try SocketAddress(ipAddress: "203.0.113.66", port: 40000)
        for round in 0..<3 {
            for packet in pressPackets("9", timestamp: 9000 + UInt32(round) * 2000, firstSequence: 100 + UInt16(round) * 5) {
                try channel.writeInbound(datagram(packet, from: attacker))
            }
        }
        XCTAssertEqual(events, [])
        XCTAssertEqual(handler.receiver.packetsFromStrangers, 15)
    }

    /// `off`: media from anywhere is heard, but sending stays on the SDP address.
    func testOffNeverFollowsAnotherSource() throws {
        var configuration = configuration(telephoneEvent: 101)
        configuration.symmetricRTP = .off
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        for sequence: UInt16 in 1...10 { try channel.writeInbound(datagram(silence(sequence), from: natted)) }
        for packet in pressPackets("4", timestamp: 5000, firstSequence: 11) {
            try channel.writeInbound(datagram(packet, from: natted))
        }
        XCTAssertEqual(events, [.digit("4", .rfc4733)])
        XCTAssertEqual(handler.receiver.packetsFromStrangers, 0)
    }

    /// A phone that changes SSRC (restarts its sender) presses keys anew: the same
    /// timestamp in the new stream is a new press, not a repeat of the old one.
    func testANewSSRCStartsTheEventStreamAfresh() throws {
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration(telephoneEvent: 101)))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        for packet in pressPackets("1", timestamp: 4000, firstSequence: 1) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        for var packet in pressPackets("1", timestamp: 4000, firstSequence: 500) {
            packet.ssrc = 0xBEEF
            try channel.writeInbound(datagram(packet, from: peer))
        }
        XCTAssertEqual(events, [.digit("1", .rfc4733), .digit("1", .rfc4733)])
    }

    private func tonePackets(_ digits: String, law: G711Law) -> [RTPPacket] {
        var audio: [Int16] = []
        for digit in digits {
            audio += ToneSynthesis.tone(digit, milliseconds: 80) + ToneSynthesis.silence(milliseconds: 80)
        }
        let encoded = G711.encode(audio, law)
        return stride(from: 0, to: encoded.count, by: 160).enumerated().map { index, start in
            RTPPacket(payloadType: law.payloadType, sequenceNumber: UInt16(index), timestamp: UInt32(start), ssrc: 3,
                      payload: Array(encoded[start..<min(encoded.count, start + 160)]))
        }
    }

    func testInbandDetectionRunsWhenNoTelephoneEventWasOffered() throws {
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration(telephoneEvent: nil)))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        for packet in tonePackets("42#", law: .ulaw) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        // PCMA packets are decoded with their own law even when PCMU was negotiated.
        for packet in tonePackets("7", law: .alaw) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        XCTAssertEqual(events, [.digit("4", .inband), .digit("2", .inband), .digit("#", .inband), .digit("7", .inband)])
    }

    /// Tones, then an RFC 4733 press, then tones again, through a receiver of `mode` that
    /// takes digits; what it reported.
    private func digits(mode: DTMFMode, telephoneEvent: UInt8?) throws -> [MediaReceiver.Event] {
        var configuration = configuration(telephoneEvent: telephoneEvent)
        configuration.inbandDetection = true
        configuration.dtmfMode = mode
        let handler = RTPInboundHandler(receiver: MediaReceiver(configuration: configuration))
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        for packet in tonePackets("42", law: .ulaw) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        for packet in pressPackets("5", timestamp: 90000, firstSequence: 200) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        for packet in tonePackets("6", law: .ulaw) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        XCTAssertEqual(handler.receiver.packetsReceived, UInt64(tonePackets("42", law: .ulaw).count + 5
                                                                + tonePackets("6", law: .ulaw).count))
        return events
    }

    /// A trunk with `dtmf: rfc4733`: tones are never decoded, events are keys.
    func testRFC4733ModeHearsEventsAndNeverTones() throws {
        XCTAssertEqual(try digits(mode: .rfc4733, telephoneEvent: 101), [.digit("5", .rfc4733)])
    }

    /// `rfc4733` where the peer offered no telephone-event: no key at all (the session logs it).
    func testRFC4733ModeWithoutTelephoneEventHearsNothing() throws {
        XCTAssertEqual(try digits(mode: .rfc4733, telephoneEvent: nil), [])
    }

    /// `inband`: tones are keys before and after an RFC 4733 event, which is no key.
    func testInbandModeHearsTonesAndIgnoresEvents() throws {
        XCTAssertEqual(try digits(mode: .inband, telephoneEvent: 101), [.digit("4", .inband), .digit("2", .inband),
                                                                         .digit("6", .inband)])
    }

    /// `auto`: a phone that negotiated RFC 4733 but sends tones is heard in-band; once it
    /// sends RFC 4733 events, tones no longer count (no key is taken twice). A phone that
    /// offered no telephone-event is heard in-band throughout.
    func testAutoModeHearsTonesUntilTheFirstEvent() throws {
        XCTAssertEqual(try digits(mode: .auto, telephoneEvent: 101), [.digit("4", .inband), .digit("2", .inband),
                                                                       .digit("5", .rfc4733)])
        XCTAssertEqual(try digits(mode: .auto, telephoneEvent: nil), [.digit("4", .inband), .digit("2", .inband),
                                                                       .digit("6", .inband)])
    }

    func testPacketsBeforeStartAreCountedOnly() throws {
        let handler = RTPInboundHandler()
        var events: [MediaReceiver.Event] = []
        handler.onEvent = { events.append($0) }
        let channel = EmbeddedChannel(handler: handler)
        for packet in pressPackets("1", timestamp: 0, firstSequence: 0) {
            try channel.writeInbound(datagram(packet, from: peer))
        }
        XCTAssertEqual(events, [])
        XCTAssertEqual(handler.receiver.packetsReceived, 5)
    }

    func testRTCPHandlerParsesCompoundPacketsAndCountsGarbage() throws {
        let handler = RTCPInboundHandler()
        var received: [[RTCPPacket]] = []
        handler.onPackets = { packets, _ in received.append(packets) }
        let channel = EmbeddedChannel(handler: handler)
        var buffer = ByteBuffer()
        RTCPSenderReport(ssrc: 4, ntpTimestamp: NTPTimestamp(seconds: 10, fraction: 0), rtpTimestamp: 0,
                         packetCount: 1, octetCount: 160).write(into: &buffer)
        RTCPSourceDescription.writeCNAME(ssrc: 4, cname: "bob", into: &buffer)
        try channel.writeInbound(AddressedEnvelope(remoteAddress: peer, data: buffer))
        try channel.writeInbound(AddressedEnvelope(remoteAddress: peer, data: ByteBuffer(bytes: [1, 2, 3])))
        XCTAssertEqual(received.count, 1)
        XCTAssertEqual(received.first?.count, 2)
        XCTAssertEqual(handler.packetsMalformed, 1)
        XCTAssertEqual(handler.lastError, .tooShort(length: 3))
    }
}
