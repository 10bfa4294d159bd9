import FuzzDriver
import FuzzSupport
import Media

@_cdecl("RTPFuzz_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    switchback_fuzz_main(argc, argv)
}

/// A media datagram read as RTP, as RTCP and as an RFC 4733 payload. Invariants: an RTP
/// packet re-serialised parses to the same packet; the copy-free header agrees with it;
/// RTCP packets never claim more octets than the datagram; a telephone event writes back
/// its own four octets (the reserved R bit cleared).
@_cdecl("LLVMFuzzerTestOneInput")
func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))

    let header = bytes.withUnsafeBytes { raw in try? RTPHeader(parsing: raw) }
    if let packet = try? RTPPacket(parsing: bytes) {
        guard let header else { fatalError("RTPPacket parses what RTPHeader refuses") }
        require(header.payloadLength == packet.payload.count && header.payloadType == packet.payloadType
                         && header.sequenceNumber == packet.sequenceNumber && header.ssrc == packet.ssrc,
                     "RTPHeader and RTPPacket disagree")
        let serialized = packet.serialized()
        require(serialized.count == packet.serializedLength, "serializedLength is not what write(into:) writes")
        do {
            let again = try RTPPacket(parsing: serialized)
            require(again == packet, "re-serialised RTP packet parses differently")
        } catch {
            fatalError("re-serialised RTP packet does not parse: \(error)")
        }
    } else {
        require(header == nil, "RTPHeader parses what RTPPacket refuses")
    }

    if let packets = try? RTCPPacket.parseCompound(bytes) {
        var octets = 0
        for packet in packets {
            switch packet {
            case .senderReport(let report): octets += 28 + 24 * report.reportBlocks.count
            case .receiverReport(let report): octets += 8 + 24 * report.reportBlocks.count
            case .other(_, let length): octets += length
            }
        }
        require(octets <= bytes.count, "RTCP packets claim \(octets) octets of a \(bytes.count)-octet datagram")
    }

    if let event = TelephoneEvent(parsing: bytes) {
        require(event.serialized() == [bytes[0], bytes[1] & 0xBF, bytes[2], bytes[3]],
                     "telephone event does not write back its octets")
        _ = event.digit
    } else {
        require(bytes.count < TelephoneEvent.payloadLength, "a 4-octet payload is refused")
    }
    return 0
}
