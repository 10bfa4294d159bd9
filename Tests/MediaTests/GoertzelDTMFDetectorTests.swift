import XCTest
@testable import Media

final class GoertzelDTMFDetectorTests: XCTestCase {
    private func detect(_ samples: [Int16], chunk: Int = 160) -> String {
        var detector = GoertzelDTMFDetector()
        var digits: [Character] = []
        var index = 0
        while index < samples.count {
            let end = min(samples.count, index + chunk)
            digits += detector.process(samples[index..<end])
            index = end
        }
        return String(digits)
    }

    func testAllSixteenKeysSeparatedBySilence() {
        let keys = "123A456B789C*0#D"
        var audio: [Int16] = []
        for key in keys {
            audio += ToneSynthesis.tone(key, milliseconds: 70)
            audio += ToneSynthesis.silence(milliseconds: 60)
        }
        XCTAssertEqual(detect(audio), keys)
    }

    func testOneDigitPerKeyPressHoweverLong() {
        let audio = ToneSynthesis.tone("5", milliseconds: 900) + ToneSynthesis.silence(milliseconds: 100)
        XCTAssertEqual(detect(audio), "5")
    }

    func testTheSameKeyTwiceNeedsAGap() {
        let gap = ToneSynthesis.tone("7", milliseconds: 80) + ToneSynthesis.silence(milliseconds: 50)
            + ToneSynthesis.tone("7", milliseconds: 80, startSample: 1040)
        XCTAssertEqual(detect(gap), "77")
        // A 5 ms dropout inside one press is not a new press.
        let dropout = ToneSynthesis.tone("7", milliseconds: 80) + ToneSynthesis.silence(milliseconds: 5)
            + ToneSynthesis.tone("7", milliseconds: 80, startSample: 680)
        XCTAssertEqual(detect(dropout), "7")
    }

    func testDirectChangeOfKeyIsReported() {
        let audio = ToneSynthesis.tone("1", milliseconds: 80) + ToneSynthesis.tone("2", milliseconds: 80)
        XCTAssertEqual(detect(audio), "12")
    }

    func testMinimumDuration() {
        XCTAssertEqual(detect(ToneSynthesis.tone("9", milliseconds: 20) + ToneSynthesis.silence(milliseconds: 50)), "",
                       "a 20 ms blip is not a key press")
        XCTAssertEqual(detect(ToneSynthesis.silence(milliseconds: 7) + ToneSynthesis.tone("9", milliseconds: 40)
                              + ToneSynthesis.silence(milliseconds: 50)), "9", "40 ms must be accepted")
    }

    func testDigitsInNoise() {
        var audio: [Int16] = []
        for key in "0#8" {
            audio += ToneSynthesis.tone(key, milliseconds: 60, rowAmplitude: 4000, columnAmplitude: 5000)
            audio += ToneSynthesis.silence(milliseconds: 60)
        }
        let noisy = ToneSynthesis.mix(audio, ToneSynthesis.noise(milliseconds: audio.count / 8, amplitude: 600))
        XCTAssertEqual(detect(noisy), "0#8")
    }

    func testNoiseSilenceAndSingleTonesAreNotDigits() {
        XCTAssertEqual(detect(ToneSynthesis.noise(milliseconds: 2000, amplitude: 8000)), "")
        XCTAssertEqual(detect(ToneSynthesis.silence(milliseconds: 500)), "")
        XCTAssertEqual(detect(ToneSynthesis.sine(697, milliseconds: 300, amplitude: 8000)), "", "row tone alone")
        XCTAssertEqual(detect(ToneSynthesis.sine(1000, milliseconds: 300, amplitude: 8000)), "", "a 1 kHz test tone")
        XCTAssertEqual(detect(ToneSynthesis.tone("5", milliseconds: 200, rowAmplitude: 30, columnAmplitude: 30)), "",
                       "below the level threshold")
    }

    func testTwistLimits() {
        // Column 12 dB below the row: beyond the normal twist allowance.
        XCTAssertEqual(detect(ToneSynthesis.tone("6", milliseconds: 100, rowAmplitude: 8000, columnAmplitude: 2000)), "")
        // Column 4 dB below: accepted.
        XCTAssertEqual(detect(ToneSynthesis.tone("6", milliseconds: 100, rowAmplitude: 8000, columnAmplitude: 5050)), "6")
        // Column 10 dB above the row: beyond the reverse twist allowance.
        XCTAssertEqual(detect(ToneSynthesis.tone("6", milliseconds: 100, rowAmplitude: 2500, columnAmplitude: 8000)), "")
    }

    func testSurvivesG711Coding() {
        var audio: [Int16] = []
        for key in "147" {
            audio += ToneSynthesis.tone(key, milliseconds: 60)
            audio += ToneSynthesis.silence(milliseconds: 60)
        }
        for law in G711Law.allCases {
            XCTAssertEqual(detect(G711.decode(G711.encode(audio, law), law)), "147", "\(law)")
        }
    }

    /// Code words fed as RTP payloads (the live path) give what their decoded samples give:
    /// the keys of a coded press, and on noise with keys in it, packet by packet, the same
    /// digits at the same packets.
    func testCodeWordsAreDetectedAsTheirSamples() {
        var audio: [Int16] = []
        var generator = SystemRandomNumberGenerator()
        for key in "3#0D" {
            audio += ToneSynthesis.tone(key, milliseconds: 50)
            audio += (0..<400).map { _ in Int16.random(in: -3000...3000, using: &generator) }
        }
        for law in G711Law.allCases {
            let codeWords = G711.encode(audio, law)
            let samples = G711.decode(codeWords, law)
            var fromSamples = GoertzelDTMFDetector(), fromCodeWords = GoertzelDTMFDetector()
            var digitsFromSamples: [String] = [], digitsFromCodeWords: [String] = []
            for start in stride(from: 0, to: codeWords.count, by: 160) {
                let end = min(start + 160, codeWords.count)
                digitsFromSamples.append(String(fromSamples.process(samples[start..<end])))
                var found = ""
                codeWords[start..<end].withUnsafeBytes { fromCodeWords.process(codeWords: $0, law) { found.append($0) } }
                digitsFromCodeWords.append(found)
            }
            XCTAssertEqual(digitsFromCodeWords, digitsFromSamples, "\(law)")
            XCTAssertEqual(digitsFromCodeWords.joined(), "3#0D", "\(law)")
        }
    }
}
