import Foundation
import NIOCore
import XCTest
@testable import Media

final class RTCPTests: XCTestCase {
    func testNTPTimestampFromDate() {
        // 1970-01-01T00:00:00.5Z is 2208988800.5 s after the NTP era began.
        let ntp = NTPTimestamp(Date(timeIntervalSince1970: 0.5))
        XCTAssertEqual(ntp.seconds, 2_208_988_800)
        XCTAssertEqual(ntp.fraction, 0x8000_0000)
        XCTAssertEqual(ntp.middle32, (2_208_988_800 & 0xFFFF) << 16 | 0x8000)
        XCTAssertEqual(ntp.date.timeIntervalSince1970, 0.5, accuracy: 1e-6)
    }

    func testSenderReportWireFormat() throws {
        let report = RTCPSenderReport(ssrc: 0x11223344, ntpTimestamp: NTPTimestamp(seconds: 1, fraction: 2),
                                      rtpTimestamp: 3, packetCount: 4, octetCount: 5)
        let bytes = report.serialized()
        XCTAssertEqual(bytes.count, 28)
        XCTAssertEqual(Array(bytes[0..<4]), [0x80, 200, 0, 6], "V=2, RC=0, PT=SR, length 7 words − 1")
        XCTAssertEqual(Array(bytes[4..<8]), [0x11, 0x22, 0x33, 0x44])
        XCTAssertEqual(try RTCPSenderReport(parsing: bytes), report)
    }

    func testSenderReportWithReportBlocksRoundTrips() throws {
        let block = RTCPReportBlock(ssrc: 9, fractionLost: 64, cumulativeLost: -3, extendedHighestSequence: 70000,
                                    jitter: 12, lastSenderReport: 0xABCD0000, delaySinceLastSenderReport: 65536)
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        let report = RTCPSenderReport(ssrc: 1, date: date, rtpTimestamp: 160, packetCount: 50, octetCount: 8000,
                                      reportBlocks: [block, block])
        let bytes = report.serialized()
        XCTAssertEqual(bytes.count, 28 + 48)
        XCTAssertEqual(bytes[0], 0x82)
        let parsed = try RTCPSenderReport(parsing: bytes)
        XCTAssertEqual(parsed, report)
        XCTAssertEqual(parsed.reportBlocks[0].cumulativeLost, -3, "24-bit signed field sign-extends")
        XCTAssertEqual(parsed.ntpTimestamp.date.timeIntervalSince1970, date.timeIntervalSince1970, accuracy: 1e-6)
    }

    func testCompoundPacketFromAPeer() throws {
        // RR with one block + SDES CNAME + BYE, as a softphone sends at hangup.
        var buffer = ByteBuffer()
        RTCPReceiverReport(ssrc: 5, reportBlocks: [RTCPReportBlock(
            ssrc: 6, fractionLost: 0, cumulativeLost: 2, extendedHighestSequence: 100, jitter: 4,
            lastSenderReport: 0, delaySinceLastSenderReport: 0)]).write(into: &buffer)
        RTCPSourceDescription.writeCNAME(ssrc: 5, cname: "alice@example.com", into: &buffer)
        buffer.writeMultipleIntegers(UInt8(0x81), UInt8(203), UInt16(1), UInt32(5))
        let bytes = Array(buffer.readableBytesView)
        XCTAssertEqual(bytes.count % 4, 0, "every RTCP packet is 32-bit aligned")
        let packets = try RTCPPacket.parseCompound(bytes)
        XCTAssertEqual(packets.count, 3)
        guard case .receiverReport(let rr) = packets[0] else { return XCTFail("expected RR, got \(packets[0])") }
        XCTAssertEqual(rr.ssrc, 5)
        XCTAssertEqual(rr.reportBlocks.first?.cumulativeLost, 2)
        XCTAssertEqual(packets[1], .other(packetType: 202, length: 28))
        XCTAssertEqual(packets[2], .other(packetType: 203, length: 8))
    }

    func testMalformedRTCPIsRejectedWithAReason() {
        XCTAssertThrowsError(try RTCPPacket.parseCompound([0x80, 200])) { error in
            XCTAssertEqual(error as? RTCPParseError, .tooShort(length: 2))
        }
        XCTAssertThrowsError(try RTCPPacket.parseCompound([0x40, 200, 0, 0])) { error in
            XCTAssertEqual(error as? RTCPParseError, .unsupportedVersion(1))
        }
        XCTAssertThrowsError(try RTCPPacket.parseCompound([0x80, 200, 0, 6, 0, 0, 0, 0])) { error in
            XCTAssertEqual(error as? RTCPParseError,
                           .lengthExceedsDatagram(packetType: 200, declaredOctets: 28, available: 8))
        }
        XCTAssertThrowsError(try RTCPPacket.parseCompound([0x83, 201, 0, 1, 0, 0, 0, 1])) { error in
            XCTAssertEqual(error as? RTCPParseError, .reportBlocksExceedPacket(packetType: 201, count: 3, length: 8))
            XCTAssertTrue("\(error)".contains("3 report blocks"))
        }
        XCTAssertEqual(try RTCPPacket.parseCompound([0x80, 204, 0, 0]), [.other(packetType: 204, length: 4)])
    }
}
