import NIOCore
import XCTest
@testable import Media

final class ConferenceMixerTests: XCTestCase {
    private func constant(_ value: Int16) -> [Int16] { [Int16](repeating: value, count: 160) }

    func testEachOfThreeHearsTheOtherTwoAndNotItself() {
        let heard = ConferenceMixer.mixMinus([constant(1000), constant(200), constant(30)])
        XCTAssertEqual(heard[0], constant(230))
        XCTAssertEqual(heard[1], constant(1030))
        XCTAssertEqual(heard[2], constant(1200))
    }

    func testSamplesAreMixedPointwise() {
        let a = (0..<160).map { Int16($0) }
        let b = (0..<160).map { Int16(-2 * $0) }
        let heard = ConferenceMixer.mixMinus([a, b, nil])
        XCTAssertEqual(heard[0], b)
        XCTAssertEqual(heard[1], a)
        XCTAssertEqual(heard[2], (0..<160).map { Int16(-$0) }, "a silent participant hears everybody")
    }

    func testSaturationHappensAfterTheOwnContributionIsRemoved() {
        let heard = ConferenceMixer.mixMinus([constant(30000), constant(30000), constant(-5)])
        XCTAssertEqual(heard[0], constant(29995))
        XCTAssertEqual(heard[1], constant(29995))
        XCTAssertEqual(heard[2], constant(Int16.max), "60000 clips, it does not wrap")
        let negative = ConferenceMixer.mixMinus([constant(-30000), constant(-30000), constant(-30000)])
        XCTAssertEqual(negative[0], constant(Int16.min))
    }

    func testACommonPromptIsHeardByEverybody() {
        let heard = ConferenceMixer.mixMinus([constant(100), constant(10)], common: constant(-1))
        XCTAssertEqual(heard[0], constant(9))
        XCTAssertEqual(heard[1], constant(99))
    }

    func testEncodedInputsAreDecodedByTheirLaw() {
        var mixer = ConferenceMixer(capacity: 2)
        mixer.beginFrame()
        let ulaw = G711.encode(constant(1000), .ulaw)
        let alaw = G711.encode(constant(-3000), .alaw)
        ulaw.withUnsafeBytes { mixer.setInput(0, encoded: $0, law: .ulaw) }
        alaw.withUnsafeBytes { mixer.setInput(1, encoded: $0, law: .alaw) }
        mixer.mix()
        XCTAssertEqual(mixer.output(for: 0) { Array($0) }, G711.decode(alaw, .alaw))
        XCTAssertEqual(mixer.output(for: 1) { Array($0) }, G711.decode(ulaw, .ulaw))
        mixer.beginFrame()
        mixer.mix()
        XCTAssertFalse(mixer.anyInput)
        XCTAssertEqual(mixer.output(for: 0) { Array($0) }, constant(0), "a new frame forgets the last")
    }

    func testRelayWritesCopyTheSameLawAndTranscodeTheOther() {
        let all = (0...255).map { UInt8($0) }
        for source in G711Law.allCases {
            for target in G711Law.allCases {
                var buffer = ByteBufferAllocator().buffer(capacity: 256)
                all.withUnsafeBytes { G711.write($0, from: source, to: target, into: &buffer) }
                XCTAssertEqual(buffer.readBytes(length: buffer.readableBytes), G711.transcode(all, from: source, to: target),
                               "\(source) → \(target)")
            }
        }
        let samples = (0..<160).map { Int16($0 * 400 - 32000) }
        for law in G711Law.allCases {
            var encoded = [UInt8](repeating: 0, count: 160)
            samples.withUnsafeBufferPointer { input in
                encoded.withUnsafeMutableBytes { G711.encode(input, law, into: $0) }
            }
            XCTAssertEqual(encoded, G711.encode(samples, law))
            var decoded = [Int16](repeating: 0, count: 160)
            encoded.withUnsafeBytes { raw in decoded.withUnsafeMutableBufferPointer { G711.decode(raw, law, into: $0) } }
            XCTAssertEqual(decoded, G711.decode(encoded, law))
        }
    }
}
