import Foundation
import NIOCore

/// An RTCP sender report (RFC 3550 §6.4.1), packet type 200.
public struct RTCPSenderReport: Sendable, Equatable {
    public static let packetType: UInt8 = 200

    public var ssrc: UInt32
    /// Wallclock time when the report was sent.
    public var ntpTimestamp: NTPTimestamp
    /// The same instant in the RTP timestamp units of the stream.
    public var rtpTimestamp: UInt32
    public var packetCount: UInt32
    /// Payload octets sent (headers and padding excluded).
    public var octetCount: UInt32
    public var reportBlocks: [RTCPReportBlock]

    public init(ssrc: UInt32, ntpTimestamp: NTPTimestamp, rtpTimestamp: UInt32, packetCount: UInt32,
                octetCount: UInt32, reportBlocks: [RTCPReportBlock] = []) {
        precondition(reportBlocks.count <= 31, "RC is 5 bits")
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
    }

    /// A report stamped with `date` (the caller passes the clock: no hidden `Date()`).
    public init(ssrc: UInt32, date: Date, rtpTimestamp: UInt32, packetCount: UInt32, octetCount: UInt32,
                reportBlocks: [RTCPReportBlock] = []) {
        self.init(ssrc: ssrc, ntpTimestamp: NTPTimestamp(date), rtpTimestamp: rtpTimestamp,
                  packetCount: packetCount, octetCount: octetCount, reportBlocks: reportBlocks)
    }

    public var serializedLength: Int { 28 + RTCPReportBlock.length * reportBlocks.count }

    public func write(into buffer: inout ByteBuffer) {
        // Length field: packet length in 32-bit words minus one (§6.4.1).
        buffer.writeMultipleIntegers(
            UInt8(0x80 | reportBlocks.count), RTCPSenderReport.packetType,
            UInt16(serializedLength / 4 - 1), ssrc, ntpTimestamp.seconds, ntpTimestamp.fraction,
            rtpTimestamp, packetCount, octetCount)
        for block in reportBlocks { block.write(into: &buffer) }
    }

    public func serialized() -> [UInt8] {
        var buffer = ByteBufferAllocator().buffer(capacity: serializedLength)
        write(into: &buffer)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }

    /// Parses a single SR (the first packet of `bytes`); for compound packets use
    /// `RTCPPacket.parseCompound`.
    public init(parsing bytes: some Collection<UInt8>) throws(RTCPParseError) {
        let packets = try RTCPPacket.parseCompound(bytes)
        guard case .senderReport(let report)? = packets.first else {
            throw .tooShort(length: bytes.count)
        }
        self = report
    }
}

/// An RTCP receiver report (RFC 3550 §6.4.2), packet type 201.
public struct RTCPReceiverReport: Sendable, Equatable {
    public static let packetType: UInt8 = 201
    public var ssrc: UInt32
    public var reportBlocks: [RTCPReportBlock]

    public init(ssrc: UInt32, reportBlocks: [RTCPReportBlock]) {
        self.ssrc = ssrc
        self.reportBlocks = reportBlocks
    }

    public func write(into buffer: inout ByteBuffer) {
        let length = 8 + RTCPReportBlock.length * reportBlocks.count
        buffer.writeMultipleIntegers(UInt8(0x80 | reportBlocks.count), RTCPReceiverReport.packetType,
                                     UInt16(length / 4 - 1), ssrc)
        for block in reportBlocks { block.write(into: &buffer) }
    }
}
