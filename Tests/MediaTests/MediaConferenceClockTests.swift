import NIOCore
import XCTest
@testable import Media

/// The conference driven by hand: sessions on one embedded loop, each peer injecting a
/// constant frame, the mixes read back.
final class MediaConferenceClockTests: XCTestCase {
    private func constant(_ value: Int16, _ law: G711Law) -> [UInt8] {
        G711.encode([Int16](repeating: value, count: 160), law)
    }

    /// What a participant of `law` should hear: the decoded others summed, saturated, encoded.
    private func expected(_ others: [(Int16, G711Law)], law: G711Law) -> [UInt8] {
        let sum = others.reduce(0) { $0 + Int(G711.decode(constant($1.0, $1.1)[0], $1.1)) }
        return constant(Int16(clamping: sum), law)
    }

    func testEachOfThreeHearsTheOtherTwoInItsOwnLaw() throws {
        let harness = EmbeddedMediaHarness()
        let laws: [G711Law] = [.ulaw, .ulaw, .alaw]
        let values: [Int16] = [1000, 200, -3000]
        let legs = try laws.map { law -> EmbeddedMediaHarness.Leg in
            let leg = try harness.makeLeg()
            leg.session.start(remote: leg.remote, law: law, payloadType: law.payloadType, telephoneEventPayloadType: 101)
            return leg
        }
        let conference = MediaConference(clock: harness.clock, maximumParticipants: 3)
        for leg in legs { try harness.wait(conference.join(leg.session)) }
        XCTAssertEqual(conference.participantCount, 3)
        var streams = (0..<3).map { InjectedStream(ssrc: UInt32(10 + $0), sequenceNumber: 0, timestamp: UInt32($0 * 999),
                                                   payloadType: laws[$0].payloadType) }
        for _ in 0..<4 {
            for index in 0..<3 {
                try streams[index].next(harness, into: legs[index], payload: constant(values[index], laws[index]))
            }
            harness.advance()
        }
        for index in 0..<3 {
            let others = (0..<3).filter { $0 != index }.map { (values[$0], laws[$0]) }
            let last = try XCTUnwrap(try harness.sent(legs[index]).last)
            XCTAssertEqual(last.payloadType, laws[index].payloadType)
            XCTAssertEqual(last.ssrc, legs[index].session.ssrc)
            XCTAssertEqual(last.payload, expected(others, law: laws[index]), "participant \(index)")
        }

        // One leaves: it hears its own silence, the other two hear only each other.
        try harness.wait(conference.leave(legs[0].session))
        XCTAssertEqual(conference.participantCount, 2)
        for _ in 0..<3 {
            for index in 0..<3 {
                try streams[index].next(harness, into: legs[index], payload: constant(values[index], laws[index]))
            }
            harness.advance()
        }
        XCTAssertEqual(try harness.sent(legs[0]).last?.payload, constant(0, .ulaw).map { _ in 0xFF })
        XCTAssertEqual(try harness.sent(legs[1]).last?.payload, expected([(values[2], .alaw)], law: .ulaw))
        XCTAssertEqual(try harness.sent(legs[2]).last?.payload, expected([(values[1], .ulaw)], law: .alaw))
        try harness.wait(conference.close())
    }

    func testTheMaximumIsEnforcedAndALeaveMakesRoom() throws {
        let harness = EmbeddedMediaHarness()
        let legs = try (0..<3).map { _ in try harness.makeLeg() }
        let conference = MediaConference(clock: harness.clock, maximumParticipants: 2)
        try harness.wait(conference.join(legs[0].session))
        try harness.wait(conference.join(legs[1].session))
        XCTAssertThrowsError(try harness.wait(conference.join(legs[2].session))) { error in
            guard case MediaError.conferenceFull(let maximum)? = error as? MediaError else {
                return XCTFail("expected conferenceFull, got \(error)")
            }
            XCTAssertEqual(maximum, 2)
        }
        XCTAssertNil(legs[2].session.attachment)
        _ = try harness.wait(legs[0].session.close())  // closing leaves
        XCTAssertEqual(conference.participantCount, 1)
        try harness.wait(conference.join(legs[2].session))
        XCTAssertThrowsError(try harness.wait(conference.join(legs[2].session)), "already in")
        try harness.wait(conference.close())
        XCTAssertNil(legs[1].session.attachment)
        XCTAssertThrowsError(try harness.wait(conference.join(legs[1].session))) { error in
            guard case MediaError.conferenceClosed? = error as? MediaError else { return XCTFail("\(error)") }
        }
    }

    func testAPromptIntoTheConferenceIsHeardByAllAndReported() throws {
        let harness = EmbeddedMediaHarness()
        let legs = try [G711Law.ulaw, .alaw].map { law -> EmbeddedMediaHarness.Leg in
            let leg = try harness.makeLeg()
            leg.session.start(remote: leg.remote, law: law, payloadType: law.payloadType, telephoneEventPayloadType: 101)
            return leg
        }
        let conference = MediaConference(clock: harness.clock, maximumParticipants: 5)
        var finished: [UInt64] = []
        conference.onPlaybackFinished = { finished.append($0) }
        for leg in legs { try harness.wait(conference.join(leg.session)) }
        let chime = Prompt(name: "chime", language: "en", samples: [Int16](repeating: 2000, count: 320))
        conference.play([chime], token: 5)
        harness.advance(frames: 2)
        let decodedChime = G711.decode(constant(2000, .ulaw)[0], .ulaw)
        XCTAssertEqual(try harness.sent(legs[0]).map(\.payload), [constant(decodedChime, .ulaw), constant(decodedChime, .ulaw)])
        XCTAssertEqual(try harness.sent(legs[1]).map(\.payload), [constant(decodedChime, .alaw), constant(decodedChime, .alaw)])
        harness.advance(frames: 2)
        XCTAssertEqual(finished, [5])
        XCTAssertEqual(try harness.sent(legs[1]).last?.payload, constant(0, .alaw).map { _ in 0xD5 }, "silence after")

        // A prompt to one participant: it hears that instead of the conference.
        let whisper = Prompt(name: "whisper", language: "en", samples: [Int16](repeating: -700, count: 160))
        conference.play([whisper], to: legs[0].session, token: 6)
        harness.advance()
        XCTAssertEqual(try harness.sent(legs[0]).last?.payload, whisper.frames(.ulaw)[0])
        try harness.wait(conference.close())
    }
}
