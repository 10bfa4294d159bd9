import XCTest
@testable import Media

final class RTPPlayoutBufferTests: XCTestCase {
    /// A frame whose every octet is `value`.
    private func frame(_ value: UInt8, count: Int = 160) -> [UInt8] { [UInt8](repeating: value, count: count) }

    private func write(_ buffer: inout RTPPlayoutBuffer, _ payload: [UInt8], timestamp: UInt32,
                       ssrc: UInt32 = 7, law: G711Law = .ulaw) {
        payload.withUnsafeBytes { buffer.write($0, timestamp: timestamp, ssrc: ssrc, law: law) }
    }

    /// Reads one frame: its octets and law, or nil when no audio arrived for it.
    private func read(_ buffer: inout RTPPlayoutBuffer) -> ([UInt8], G711Law)? {
        var result: ([UInt8], G711Law)?
        buffer.read { frame, law in result = (Array(frame), law) }
        return result
    }

    func testNothingIsReadBeforeTheFirstPacketThenTheDelayIsSilence() {
        var buffer = RTPPlayoutBuffer(delayFrames: 1)
        XCTAssertNil(read(&buffer))
        XCTAssertFalse(buffer.isSynchronised)
        XCTAssertEqual(buffer.framesWithoutAudio, 0, "an unsynchronised read does not count")
        write(&buffer, frame(1), timestamp: 1000)
        XCTAssertTrue(buffer.isSynchronised)
        XCTAssertNil(read(&buffer), "one frame of delay before the first packet plays")
        XCTAssertEqual(read(&buffer)?.0, frame(1))
        XCTAssertNil(read(&buffer), "nothing arrived for the next frame")
        XCTAssertEqual(buffer.framesWithAudio, 1)
        XCTAssertEqual(buffer.framesWithoutAudio, 2)
    }

    func testReorderedAndDuplicatedPacketsPlayInTimestampOrder() {
        var buffer = RTPPlayoutBuffer(delayFrames: 2)
        let base: UInt32 = 0xFFFF_FF00  // wraps during the test
        write(&buffer, frame(1), timestamp: base)
        write(&buffer, frame(3), timestamp: base &+ 320)
        write(&buffer, frame(2), timestamp: base &+ 160)
        write(&buffer, frame(2), timestamp: base &+ 160)
        XCTAssertNil(read(&buffer))
        XCTAssertNil(read(&buffer))
        XCTAssertEqual(read(&buffer)?.0, frame(1))
        XCTAssertEqual(read(&buffer)?.0, frame(2))
        XCTAssertEqual(read(&buffer)?.0, frame(3))
        XCTAssertEqual(buffer.packetsLate, 0)
    }

    func testLongerPacketsAreCutIntoFramesAndKeepTheirLaw() {
        var buffer = RTPPlayoutBuffer(delayFrames: 0)
        // 30 ms packets (240 samples): the second half of frame 1 comes with packet 2.
        write(&buffer, frame(1, count: 240), timestamp: 0, law: .alaw)
        write(&buffer, frame(2, count: 240), timestamp: 240, law: .alaw)
        XCTAssertEqual(read(&buffer)?.0, frame(1))
        let second = read(&buffer)
        XCTAssertEqual(second?.0, frame(1, count: 80) + frame(2, count: 80))
        XCTAssertEqual(second?.1, .alaw)
        XCTAssertEqual(read(&buffer)?.0, frame(2))
    }

    func testAPartlyCoveredFrameIsSilenceInItsOwnLawElsewhere() {
        var buffer = RTPPlayoutBuffer(delayFrames: 0)
        write(&buffer, frame(9), timestamp: 0, law: .alaw)
        write(&buffer, frame(9, count: 80), timestamp: 160, law: .alaw)
        _ = read(&buffer)
        XCTAssertEqual(read(&buffer)?.0, frame(9, count: 80) + frame(G711Law.alaw.silenceByte, count: 80))
    }

    func testLatePacketsAreDroppedAndThreeInARowResynchronise() {
        var buffer = RTPPlayoutBuffer(delayFrames: 1)
        write(&buffer, frame(1), timestamp: 16000)
        for _ in 0..<4 { _ = read(&buffer) }  // reader now at 16000 + 3·160
        write(&buffer, frame(2), timestamp: 16000 + 160)
        XCTAssertEqual(buffer.packetsLate, 1)
        write(&buffer, frame(3), timestamp: 16000 + 320)
        XCTAssertEqual(buffer.packetsLate, 2)
        XCTAssertEqual(buffer.resynchronisations, 0)
        write(&buffer, frame(4), timestamp: 16000 + 320)
        XCTAssertEqual(buffer.resynchronisations, 1, "a sender slower than us: follow it")
        XCTAssertNil(read(&buffer))
        XCTAssertEqual(read(&buffer)?.0, frame(4))
    }

    func testASenderTooFarAheadMakesTheReaderSkipTheOldestFrames() {
        var buffer = RTPPlayoutBuffer(delayFrames: 1, maximumDepthFrames: 4)
        for index in 0..<6 {
            write(&buffer, frame(UInt8(index)), timestamp: UInt32(index * 160))
        }
        // Depth 4: frames are dropped at the front, the newest are kept.
        XCTAssertEqual(buffer.framesSkipped, 3)
        var heard: [UInt8] = []
        for _ in 0..<4 { if let (octets, _) = read(&buffer) { heard.append(octets[0]) } }
        XCTAssertEqual(heard, [2, 3, 4, 5])
    }

    func testANewSSRCOrATimestampJumpStartsAFreshTimeline() {
        var buffer = RTPPlayoutBuffer(delayFrames: 1)
        write(&buffer, frame(1), timestamp: 500)
        _ = read(&buffer)
        write(&buffer, frame(2), timestamp: 99_000, ssrc: 8)  // new stream: new origin
        XCTAssertEqual(buffer.resynchronisations, 1)
        XCTAssertNil(read(&buffer))
        XCTAssertEqual(read(&buffer)?.0, frame(2))
        write(&buffer, frame(3), timestamp: 99_000 + 50_000, ssrc: 8)  // > 1 s ahead
        XCTAssertEqual(buffer.resynchronisations, 2)
        XCTAssertNil(read(&buffer))
        XCTAssertEqual(read(&buffer)?.0, frame(3))
    }

    func testSkipAdvancesLikeARead() {
        var buffer = RTPPlayoutBuffer(delayFrames: 0)
        write(&buffer, frame(1), timestamp: 0)
        write(&buffer, frame(2), timestamp: 160)
        buffer.skip()
        XCTAssertEqual(read(&buffer)?.0, frame(2))
    }
}
