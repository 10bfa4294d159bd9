import XCTest
@testable import Media

final class G711Tests: XCTestCase {
    func testPayloadTypes() {
        XCTAssertEqual(G711Law.ulaw.payloadType, 0)
        XCTAssertEqual(G711Law.alaw.payloadType, 8)
        XCTAssertEqual(G711Law(payloadType: 8), .alaw)
        XCTAssertNil(G711Law(payloadType: 18))
    }

    func testKnownMuLawCodePoints() {
        XCTAssertEqual(G711.encode(0, .ulaw), 0xFF)
        XCTAssertEqual(G711.encode(-1, .ulaw), 0x7F, "negative zero")
        XCTAssertEqual(G711.encode(Int16.max, .ulaw), 0x80)
        XCTAssertEqual(G711.encode(Int16.min, .ulaw), 0x00)
        XCTAssertEqual(G711.decode(0xFF, .ulaw), 0)
        XCTAssertEqual(G711.decode(0x7F, .ulaw), 0)
        XCTAssertEqual(G711.decode(0x80, .ulaw), 32124)
        XCTAssertEqual(G711.decode(0x00, .ulaw), -32124)
        XCTAssertEqual(G711.decode(0xFE, .ulaw), 8)
        XCTAssertEqual(G711.decode(0xEF, .ulaw), 132, "segment 1 starts at 132")
    }

    func testKnownALawCodePoints() {
        XCTAssertEqual(G711.encode(0, .alaw), 0xD5)
        XCTAssertEqual(G711.encode(-1, .alaw), 0x55)
        XCTAssertEqual(G711.encode(Int16.max, .alaw), 0xAA)
        XCTAssertEqual(G711.encode(Int16.min, .alaw), 0x2A)
        XCTAssertEqual(G711.decode(0xD5, .alaw), 8)
        XCTAssertEqual(G711.decode(0x55, .alaw), -8)
        XCTAssertEqual(G711.decode(0xAA, .alaw), 32256)
        XCTAssertEqual(G711.decode(0x2A, .alaw), -32256)
    }

    func testSilenceBytesDecodeToNearZero() {
        XCTAssertEqual(G711.decode(G711Law.ulaw.silenceByte, .ulaw), 0)
        XCTAssertEqual(abs(Int(G711.decode(G711Law.alaw.silenceByte, .alaw))), 8)
    }

    func testEveryCodeWordRoundTrips() {
        for law in G711Law.allCases {
            for byte in 0...255 {
                let linear = G711.decode(UInt8(byte), law)
                let again = G711.encode(linear, law)
                // µ-law has two zeros (0x7F and 0xFF); both decode to 0 which encodes as 0xFF.
                if law == .ulaw, byte == 0x7F {
                    XCTAssertEqual(again, 0xFF)
                } else {
                    XCTAssertEqual(again, UInt8(byte), "\(law) code 0x\(String(byte, radix: 16))")
                }
            }
        }
    }

    func testQuantisationErrorIsBoundedBySegmentStep() {
        for law in G711Law.allCases {
            var worstSmall = 0
            for sample in stride(from: Int(Int16.min), through: Int(Int16.max), by: 1) {
                let decoded = Int(G711.decode(G711.encode(Int16(sample), law), law))
                let error = abs(decoded - sample)
                // Half a quantisation step: at most 1/32 of the magnitude plus the
                // smallest step; full scale clips to ±32124 (µ) / ±32256 (A).
                let bound = max(16, abs(sample) / 32 + 16) + (abs(sample) > 32000 ? 700 : 0)
                XCTAssertLessThanOrEqual(error, bound, "\(law) sample \(sample)")
                if abs(sample) < 64 { worstSmall = max(worstSmall, error) }
                if error > bound { return }
            }
            XCTAssertLessThanOrEqual(worstSmall, 8, "\(law): small signals are quantised finely")
        }
    }

    func testMonotonicDecoding() {
        for law in G711Law.allCases {
            let decodedPositive = (0..<32768).map { G711.decode(G711.encode(Int16($0), law), law) }
            XCTAssertEqual(decodedPositive, decodedPositive.sorted(), "\(law) must be monotonic")
        }
    }

    func testBufferEncodeDecodeMatchesSingleSamples() {
        let samples: [Int16] = [0, 1, -1, 100, -100, 5000, -5000, 32767, -32768]
        for law in G711Law.allCases {
            let encoded = G711.encode(samples, law)
            XCTAssertEqual(encoded, samples.map { G711.encode($0, law) })
            XCTAssertEqual(G711.decode(encoded, law), encoded.map { G711.decode($0, law) })
        }
    }

    /// The DTMF detector's levels are the decoded samples, for every code word.
    func testLevelsAreTheDecodedSamples() {
        XCTAssertEqual(G711.Tables.ulawLevels, (0...255).map { Float(G711.decode(UInt8($0), .ulaw)) })
        XCTAssertEqual(G711.Tables.alawLevels, (0...255).map { Float(G711.decode(UInt8($0), .alaw)) })
    }

    func testTranscodingPreservesTheSignal() {
        let samples = (0..<400).map { Int16(12000 * sin(Double($0) * 0.05)) }
        let ulaw = G711.encode(samples, .ulaw)
        let alaw = G711.transcode(ulaw, from: .ulaw, to: .alaw)
        XCTAssertEqual(alaw.count, ulaw.count)
        for (index, sample) in samples.enumerated() {
            let viaA = Int(G711.decode(alaw[index], .alaw))
            XCTAssertLessThanOrEqual(abs(viaA - Int(sample)), abs(Int(sample)) / 16 + 16)
        }
        XCTAssertEqual(G711.transcode([0xFF], from: .ulaw, to: .alaw), [0xD5], "silence stays silence")
        XCTAssertEqual(G711.transcode([0xD5], from: .alaw, to: .ulaw), [G711.encode(8, .ulaw)])
        XCTAssertEqual(G711.transcode(ulaw, from: .ulaw, to: .ulaw), ulaw)
    }
}
