import NIOCore
import XCTest
@testable import Media

/// The bridge's send side driven by hand: two sessions on one embedded loop, the A
/// peer's packets injected, what B sends read back frame by frame.
final class MediaBridgeClockTests: XCTestCase {
    private func frame(_ value: UInt8) -> [UInt8] { [UInt8](repeating: value, count: 160) }

    private func startedPair(lawA: G711Law = .ulaw, lawB: G711Law = .ulaw, eventsA: UInt8? = 101, eventsB: UInt8? = 101)
        throws -> (EmbeddedMediaHarness, EmbeddedMediaHarness.Leg, EmbeddedMediaHarness.Leg) {
        let harness = EmbeddedMediaHarness()
        let a = try harness.makeLeg()
        let b = try harness.makeLeg()
        a.session.start(remote: a.remote, law: lawA, payloadType: lawA.payloadType, telephoneEventPayloadType: eventsA)
        b.session.start(remote: b.remote, law: lawB, payloadType: lawB.payloadType, telephoneEventPayloadType: eventsB)
        return (harness, a, b)
    }

    func testPassThroughIsRestampedIntoOneContinuousStream() throws {
        let (harness, a, b) = try startedPair()
        harness.advance(frames: 3)  // B sends silence before the bridge
        let before = try harness.sent(b)
        XCTAssertEqual(before.count, 3)
        _ = try harness.sent(a)
        let bridge = try harness.wait(MediaBridge.connect(a.session, b.session))
        var stream = InjectedStream(ssrc: 0xABCD, sequenceNumber: 65534, timestamp: 0xFFFF_FF60, payloadType: 0)
        for value in 1...5 {
            try stream.next(harness, into: a, payload: frame(UInt8(value)))
            harness.advance()
        }
        let during = try harness.sent(b)
        XCTAssertEqual(during.count, 5)
        XCTAssertEqual(during.map(\.payload), [frame(0xFF), frame(1), frame(2), frame(3), frame(4)],
                       "one frame of playout delay, then A's payloads octet for octet")
        let all = before + during
        for (previous, packet) in zip(all, all.dropFirst()) {
            XCTAssertEqual(packet.sequenceNumber, previous.sequenceNumber &+ 1, "no gap across the bridge")
            XCTAssertEqual(packet.timestamp, previous.timestamp &+ 160)
            XCTAssertEqual(packet.ssrc, b.session.ssrc, "B's own SSRC, not A's peer's")
            XCTAssertEqual(packet.payloadType, 0)
        }
        XCTAssertTrue(try harness.sent(a).allSatisfy { $0.payload == frame(0xFF) }, "B's peer is silent")

        _ = try harness.wait(bridge.unbridge())
        try stream.next(harness, into: a, payload: frame(6))
        harness.advance(frames: 2)
        let after = try harness.sent(b)
        XCTAssertEqual(after.map(\.payload), [frame(0xFF), frame(0xFF)], "unbridged: B's own silence again")
        XCTAssertEqual(after[0].sequenceNumber, during.last!.sequenceNumber &+ 1)
        XCTAssertFalse(try harness.wait(bridge.isActive()))
    }

    func testDifferentLawsAreTranscoded() throws {
        let (harness, a, b) = try startedPair(lawA: .ulaw, lawB: .alaw)
        _ = try harness.wait(MediaBridge.connect(a.session, b.session))
        let speech = G711.encode((0..<160).map { Int16(($0 - 80) * 300) }, .ulaw)
        var fromA = InjectedStream(ssrc: 1, sequenceNumber: 10, timestamp: 1000, payloadType: 0)
        var fromB = InjectedStream(ssrc: 2, sequenceNumber: 10, timestamp: 1000, payloadType: 8)
        let speechB = G711.encode((0..<160).map { Int16((80 - $0) * 200) }, .alaw)
        for _ in 0..<3 {
            try fromA.next(harness, into: a, payload: speech)
            try fromB.next(harness, into: b, payload: speechB)
            harness.advance()
        }
        let toB = try harness.sent(b)
        XCTAssertEqual(toB.last?.payloadType, 8)
        XCTAssertEqual(toB.last?.payload, G711.transcode(speech, from: .ulaw, to: .alaw))
        let toA = try harness.sent(a)
        XCTAssertEqual(toA.last?.payloadType, 0)
        XCTAssertEqual(toA.last?.payload, G711.transcode(speechB, from: .alaw, to: .ulaw))
    }

    func testTelephoneEventsAreReportedButNotForwardedByDefault() throws {
        let (harness, a, b) = try startedPair()
        var digits: [String] = []
        a.session.onDigit = { digit, source in digits.append("\(digit)/\(source.rawValue)") }
        _ = try harness.wait(MediaBridge.connect(a.session, b.session))
        try injectEvents("#11", into: a, harness: harness)
        harness.advance(frames: 20)
        XCTAssertEqual(digits, ["#/rfc4733", "1/rfc4733", "1/rfc4733"])
        let toB = try harness.sent(b)
        XCTAssertEqual(toB.count, 20)
        XCTAssertTrue(toB.allSatisfy { $0.payloadType == 0 }, "no telephone-event reaches B")
    }

    func testTelephoneEventsCanBeForwardedAsNewEvents() throws {
        let (harness, a, b) = try startedPair()
        _ = try harness.wait(MediaBridge.connect(a.session, b.session,
                                                 options: MediaBridge.Options(forwardTelephoneEvents: true)))
        try injectEvents("5", into: a, harness: harness)
        harness.advance(frames: 15)
        let events = try harness.sent(b).filter { $0.payloadType == 101 }
        XCTAssertFalse(events.isEmpty)
        XCTAssertTrue(events.allSatisfy { $0.payload.first == 5 && $0.ssrc == b.session.ssrc })
        XCTAssertTrue(events.first!.marker)
    }

    func testAPromptToOneLegSilencesTheOtherThenTheBridgeResumes() throws {
        let (harness, a, b) = try startedPair()
        var finished: [UInt64] = []
        a.session.onPlaybackFinished = { finished.append($0) }
        let bridge = try harness.wait(MediaBridge.connect(a.session, b.session))
        var fromA = InjectedStream(ssrc: 1, sequenceNumber: 0, timestamp: 0, payloadType: 0)
        var fromB = InjectedStream(ssrc: 2, sequenceNumber: 0, timestamp: 0, payloadType: 0)
        func both(_ frames: Int) throws {
            for _ in 0..<frames {
                try fromA.next(harness, into: a, payload: frame(0x11))
                try fromB.next(harness, into: b, payload: frame(0x22))
                harness.advance()
            }
        }
        try both(3)
        XCTAssertEqual(try harness.sent(b).last?.payload, frame(0x11))
        XCTAssertEqual(try harness.sent(a).last?.payload, frame(0x22))
        let balance = Prompt(name: "balance", language: "en", samples: ToneSynthesis.sine(700, milliseconds: 60, amplitude: 5000))
        bridge.play([balance], to: .a, token: 77)
        harness.loop.run()
        try both(3)
        XCTAssertEqual(try harness.sent(a).map(\.payload), balance.frames(.ulaw), "A hears the prompt alone")
        XCTAssertEqual(try harness.sent(b).map(\.payload), Array(repeating: frame(0xFF), count: 3),
                       "B hears silence, not A")
        XCTAssertEqual(finished, [77])
        try both(3)
        XCTAssertEqual(try harness.sent(a).last?.payload, frame(0x22), "bridge resumed")
        XCTAssertEqual(try harness.sent(b).last?.payload, frame(0x11))
    }

    func testAHoldPromptIsLoopedToTheOtherLeg() throws {
        let (harness, a, b) = try startedPair()
        let bridge = try harness.wait(MediaBridge.connect(a.session, b.session))
        let hold = Prompt(name: "hold", language: "en", samples: ToneSynthesis.sine(400, milliseconds: 40, amplitude: 3000))
        let message = Prompt(name: "msg", language: "en", samples: ToneSynthesis.sine(900, milliseconds: 100, amplitude: 3000))
        bridge.play([message], to: .a, token: 1, otherLegHears: .hold([hold]))
        harness.loop.run()
        harness.advance(frames: 5)
        let toB = try harness.sent(b).map(\.payload)
        let holdFrames = hold.frames(.ulaw)
        XCTAssertEqual(Array(toB.prefix(4)), holdFrames + holdFrames)
        harness.advance(frames: 2)
        XCTAssertEqual(try harness.sent(b).last?.payload, frame(0xFF), "hold ends with the prompt")
    }

    func testASessionIsInOneBridgeAtATimeAndClosingALegEndsTheBridge() throws {
        let harness = EmbeddedMediaHarness()
        let a = try harness.makeLeg()
        let b = try harness.makeLeg()
        let c = try harness.makeLeg()
        let bridge = try harness.wait(MediaBridge.connect(a.session, b.session))
        XCTAssertThrowsError(try harness.wait(MediaBridge.connect(c.session, b.session))) { error in
            guard case MediaError.alreadyAttached(let port)? = error as? MediaError else {
                return XCTFail("expected alreadyAttached, got \(error)")
            }
            XCTAssertEqual(port, b.session.localPort)
        }
        XCTAssertNil(c.session.attachment, "the failed bridge left C alone")
        _ = try harness.wait(a.session.close())
        XCTAssertFalse(try harness.wait(bridge.isActive()))
        XCTAssertNil(b.session.attachment)
        _ = try harness.wait(MediaBridge.connect(c.session, b.session))
        XCTAssertThrowsError(try harness.wait(MediaBridge.connect(a.session, c.session)))
    }

    private func injectEvents(_ digits: String, into leg: EmbeddedMediaHarness.Leg, harness: EmbeddedMediaHarness) throws {
        var sequence: UInt16 = 300
        var timestamp: UInt32 = 50_000
        for digit in digits {
            let code = TelephoneEvent.code(forDigit: digit)!
            let events = [TelephoneEvent(event: code, duration: 160), TelephoneEvent(event: code, duration: 800)]
                + Array(repeating: TelephoneEvent(event: code, isEnd: true, duration: 800), count: 3)
            for (index, event) in events.enumerated() {
                try harness.inject(leg, payloadType: 101, sequenceNumber: sequence, timestamp: timestamp, ssrc: 0x77,
                                   payload: event.serialized(), marker: index == 0)
                sequence &+= 1
            }
            timestamp &+= 1600
        }
    }
}
