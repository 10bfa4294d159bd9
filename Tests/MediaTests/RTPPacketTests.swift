import NIOCore
import XCTest
@testable import Media

final class RTPPacketTests: XCTestCase {
    func testSerialisesTheFixedHeader() {
        let packet = RTPPacket(marker: true, payloadType: 8, sequenceNumber: 0x1234, timestamp: 0xDEADBEEF,
                               ssrc: 0x01020304, payload: [1, 2, 3])
        XCTAssertEqual(packet.serialized(), [0x80, 0x88, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4, 1, 2, 3])
        XCTAssertEqual(packet.serializedLength, 15)
    }

    func testRoundTripWithCSRCsExtensionAndPadding() throws {
        var packet = RTPPacket(marker: false, payloadType: 101, sequenceNumber: 65535, timestamp: 1,
                               ssrc: 42, csrcs: [7, 8], payload: Array(0..<20), paddingCount: 3)
        packet.headerExtension = (profile: 0xBEDE, data: [1, 2, 3, 4])
        let bytes = packet.serialized()
        XCTAssertEqual(bytes[0], 0x80 | 0x20 | 0x10 | 2)
        XCTAssertEqual(bytes.count, 12 + 8 + 8 + 20 + 3)
        XCTAssertEqual(bytes.last, 3)
        let parsed = try RTPPacket(parsing: bytes)
        XCTAssertEqual(parsed, packet)
        XCTAssertEqual(parsed.headerExtension?.profile, 0xBEDE)
        XCTAssertEqual(parsed.headerExtension?.data, [1, 2, 3, 4])
    }

    func testParsesFromAByteBufferView() throws {
        var buffer = ByteBuffer()
        RTPPacket(payloadType: 0, sequenceNumber: 9, timestamp: 160, ssrc: 5, payload: [0xFF, 0xFF])
            .write(into: &buffer)
        let parsed = try RTPPacket(parsing: buffer.readableBytesView)
        XCTAssertEqual(parsed.sequenceNumber, 9)
        XCTAssertEqual(parsed.payload, [0xFF, 0xFF])
        XCTAssertFalse(parsed.marker)
    }

    func testErrorsSayWhatIsWrong() {
        XCTAssertThrowsError(try RTPPacket(parsing: [0x80, 0, 0])) { error in
            XCTAssertEqual(error as? RTPParseError, .tooShort(length: 3))
            XCTAssertTrue("\(error)".contains("12"))
        }
        var v1 = RTPPacket(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: []).serialized()
        v1[0] = 0x40
        XCTAssertThrowsError(try RTPPacket(parsing: v1)) { error in
            XCTAssertEqual(error as? RTPParseError, .unsupportedVersion(1))
        }
        var csrc = RTPPacket(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: [1, 2]).serialized()
        csrc[0] = 0x80 | 3
        XCTAssertThrowsError(try RTPPacket(parsing: csrc)) { error in
            XCTAssertEqual(error as? RTPParseError, .csrcListExceedsPacket(csrcCount: 3, length: 14))
        }
        var padding = RTPPacket(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: [1, 2, 9]).serialized()
        padding[0] |= 0x20
        XCTAssertThrowsError(try RTPPacket(parsing: padding)) { error in
            XCTAssertEqual(error as? RTPParseError, .badPadding(paddingCount: 9, available: 3))
        }
        padding[14] = 0
        XCTAssertThrowsError(try RTPPacket(parsing: padding)) { error in
            XCTAssertEqual(error as? RTPParseError, .badPadding(paddingCount: 0, available: 3))
        }
        var ext = RTPPacket(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0, payload: [0xBE, 0xDE, 0, 5]).serialized()
        ext[0] |= 0x10
        XCTAssertThrowsError(try RTPPacket(parsing: ext)) { error in
            XCTAssertEqual(error as? RTPParseError, .extensionExceedsPacket(extensionOctets: 24, length: 16))
        }
    }

    func testHeaderParseLocatesThePayload() throws {
        let bytes = RTPPacket(marker: true, payloadType: 0, sequenceNumber: 3, timestamp: 480, ssrc: 77,
                              csrcs: [1], payload: [9, 8, 7], paddingCount: 2).serialized()
        let header = try bytes.withUnsafeBytes { try RTPHeader(parsing: $0) }
        XCTAssertEqual(header.payloadOffset, 16)
        XCTAssertEqual(header.payloadLength, 3)
        XCTAssertTrue(header.marker)
        XCTAssertEqual(header.ssrc, 77)
        XCTAssertEqual(header.timestamp, 480)
    }

    func testAllocationFreeHeaderWriterMatchesThePacketType() {
        var buffer = ByteBuffer()
        RTPPacket.writeHeader(into: &buffer, marker: true, payloadType: 0, sequenceNumber: 7, timestamp: 8, ssrc: 9)
        buffer.writeBytes([1, 2])
        XCTAssertEqual(Array(buffer.readableBytesView),
                       RTPPacket(marker: true, payloadType: 0, sequenceNumber: 7, timestamp: 8, ssrc: 9, payload: [1, 2]).serialized())
    }

    func testSequenceTrackerCountsGapsAndWraps() {
        var tracker = RTPSequenceTracker()
        for sequence: UInt16 in [65533, 65534, 65535, 0, 2, 3] {  // 1 lost across the wrap
            tracker.record(ssrc: 1, sequence: sequence)
        }
        XCTAssertEqual(tracker.received, 6)
        XCTAssertEqual(tracker.expected, 7)
        XCTAssertEqual(tracker.lost, 1)
        XCTAssertEqual(tracker.extendedHighestSequence, 1 << 16 | 3)
        XCTAssertEqual(tracker.fractionLostSinceLastReport(), UInt8(256 / 7))
        XCTAssertEqual(tracker.fractionLostSinceLastReport(), 0, "nothing new since the last report")
        tracker.record(ssrc: 2, sequence: 100)  // new source: counting restarts
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.received, 1)
    }
}

final class RTPJitterEstimatorTests: XCTestCase {
    func testEvenlySpacedPacketsHaveNoJitter() {
        var estimator = RTPJitterEstimator()
        for index in 0..<100 {
            estimator.record(timestamp: UInt32(index * 160) &+ 0xFFFF_F000,  // crosses the 32-bit wrap
                             arrivalNanoseconds: 1_000_000_000 + UInt64(index) * 20_000_000)
        }
        XCTAssertEqual(estimator.jitter, 0)
    }

    func testAlternatingLatenessConvergesToTheDeviation() {
        var estimator = RTPJitterEstimator()
        for index in 0..<400 {
            // Every other packet arrives 5 ms (40 samples) late: each spacing deviates by 40.
            let late: UInt64 = index % 2 == 1 ? 5_000_000 : 0
            estimator.record(timestamp: UInt32(index * 160), arrivalNanoseconds: UInt64(index) * 20_000_000 + late)
        }
        XCTAssertEqual(Double(estimator.jitter), 40, accuracy: 1)
        estimator.reset()
        XCTAssertEqual(estimator.jitter, 0)
    }

    /// The kernel's receive stamps are wall-clock nanoseconds (~1.8·10¹⁸): the same stream
    /// read on that clock gives the jitter it gives on a clock that started at boot.
    func testWallClockArrivalsGiveTheSameJitter() {
        var sinceBoot = RTPJitterEstimator(), wallClock = RTPJitterEstimator()
        let epoch: UInt64 = 1_796_000_000_123_456_789  // December 2026
        for index in 0..<400 {
            let late: UInt64 = index % 3 == 1 ? 7_000_000 : 0
            let arrival = UInt64(index) * 20_000_000 + late
            sinceBoot.record(timestamp: UInt32(index * 160), arrivalNanoseconds: 5_000_000_000 + arrival)
            wallClock.record(timestamp: UInt32(index * 160), arrivalNanoseconds: epoch + arrival)
        }
        XCTAssertGreaterThan(sinceBoot.jitter, 0)
        XCTAssertEqual(Double(wallClock.jitter), Double(sinceBoot.jitter), accuracy: 1)
    }
}
