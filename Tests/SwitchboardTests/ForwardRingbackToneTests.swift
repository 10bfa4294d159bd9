import Media
import XCTest
@testable import Switchboard

/// The locally made ring-back: 425 Hz for 1 s, then 4 s of silence, repeated.
final class ForwardRingbackToneTests: XCTestCase {
    func testOneCadenceIsOneSecondOfFourTwentyFiveHertzThenFourOfSilence() {
        let samples = RingbackTone.cadenceSamples
        XCTAssertEqual(samples.count, 5 * 8000)
        XCTAssertEqual(RingbackTone.cadence.durationMilliseconds, 5000)
        let tone = samples[0..<8000].map { Double($0) }
        XCTAssertTrue(samples[8000...].allSatisfy { $0 == 0 }, "4 s of silence after the tone")
        // Zero crossings of a 425 Hz sine over 1 s: 850.
        var crossings = 0
        for index in 1..<tone.count where (tone[index - 1] < 0) != (tone[index] < 0) { crossings += 1 }
        XCTAssertEqual(Double(crossings), 850, accuracy: 4)
        XCTAssertGreaterThan(tone.map(abs).max() ?? 0, 5000, "loud enough to hear, not clipped silence")
    }

    func testEnoughCadencesForTheRingTime() {
        XCTAssertEqual(RingbackTone.prompts(covering: 20).count, 6)
        XCTAssertEqual(RingbackTone.prompts(covering: 0).count, 2)
        XCTAssertGreaterThanOrEqual(RingbackTone.prompts(covering: 47).count * 5, 47)
    }
}
