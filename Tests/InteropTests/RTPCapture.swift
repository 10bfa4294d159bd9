import Foundation

/// RTP as seen on the wire: tshark captures loopback UDP to one port into a pcap file,
/// which is parsed here (classic libpcap format; Ethernet, Linux cooked or raw IP links).
final class RTPCapture {
    struct Packet {
        var payloadType: UInt8
        var sequence: UInt16
        var timestamp: UInt32
        var ssrc: UInt32
        var marker: Bool
        var payload: [UInt8]
        /// When the capture saw it (seconds since 1970, from the pcap record header).
        var captured: TimeInterval = 0
    }

    private let process = Process()
    private let file: URL

    init(tshark: String, udpPort: Int, directory: URL) throws {
        file = directory.appendingPathComponent("rtp-\(udpPort).pcap")
        process.executableURL = URL(fileURLWithPath: tshark)
        process.arguments = ["-i", "lo", "-f", "udp dst port \(udpPort)", "-F", "pcap", "-w", file.path, "-q", "-a", "duration:90"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // tshark writes the file header once the capture is live.
        let deadline = Date().addingTimeInterval(15)
        while Date() < deadline {
            if let size = try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int, size >= 24 { return }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw ServerProcess.Failure("tshark did not start capturing on lo within 15 s")
    }

    /// Stops the capture and returns the RTP packets it saw.
    func stop() throws -> [Packet] {
        Thread.sleep(forTimeInterval: 0.5)   // let the last packets land in the file
        if process.isRunning { kill(process.processIdentifier, SIGINT) }
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return try Self.parse(Array(try Data(contentsOf: file)))
    }

    static func parse(_ bytes: [UInt8]) throws -> [Packet] {
        guard bytes.count >= 24 else { throw ServerProcess.Failure("pcap shorter than its header") }
        func u32(_ at: Int, littleEndian: Bool) -> UInt32 {
            let v = UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
            return littleEndian ? v : v.byteSwapped
        }
        let magic = u32(0, littleEndian: true)
        let little = magic == 0xA1B2C3D4 || magic == 0xA1B23C4D
        let linkType = u32(20, littleEndian: little)
        let linkHeader: Int
        switch linkType {
        case 1: linkHeader = 14      // Ethernet (Linux lo)
        case 113: linkHeader = 16    // Linux cooked
        case 276: linkHeader = 20    // Linux cooked v2
        case 101: linkHeader = 0     // raw IP
        case 0: linkHeader = 4       // BSD loopback
        default: throw ServerProcess.Failure("unsupported pcap link type \(linkType)")
        }
        var packets: [Packet] = []
        var offset = 24
        while offset + 16 <= bytes.count {
            let length = Int(u32(offset + 8, littleEndian: little))
            let start = offset + 16
            offset = start + length
            guard offset <= bytes.count else { break }
            var ip = start + linkHeader
            guard ip + 20 <= offset, bytes[ip] >> 4 == 4, bytes[ip + 9] == 17 else { continue }
            ip += Int(bytes[ip] & 0x0F) * 4
            let rtp = ip + 8
            guard rtp + 12 <= offset, bytes[rtp] >> 6 == 2 else { continue }
            let csrcCount = Int(bytes[rtp] & 0x0F)
            let payloadStart = rtp + 12 + 4 * csrcCount
            guard payloadStart <= offset else { continue }
            packets.append(Packet(
                payloadType: bytes[rtp + 1] & 0x7F,
                sequence: UInt16(bytes[rtp + 2]) << 8 | UInt16(bytes[rtp + 3]),
                timestamp: UInt32(bytes[rtp + 4]) << 24 | UInt32(bytes[rtp + 5]) << 16 | UInt32(bytes[rtp + 6]) << 8 | UInt32(bytes[rtp + 7]),
                ssrc: UInt32(bytes[rtp + 8]) << 24 | UInt32(bytes[rtp + 9]) << 16 | UInt32(bytes[rtp + 10]) << 8 | UInt32(bytes[rtp + 11]),
                marker: bytes[rtp + 1] & 0x80 != 0,
                payload: Array(bytes[payloadStart..<offset]),
                captured: TimeInterval(u32(start - 16, littleEndian: little))
                    + TimeInterval(u32(start - 12, littleEndian: little)) / 1_000_000))
        }
        return packets
    }
}

/// Enough G.711 decoding to tell speech from silence in what the server sent.
enum AudioEnergy {
    static func decode(_ byte: UInt8, payloadType: UInt8) -> Int {
        if payloadType == 8 {
            let a = byte ^ 0x55
            var t = Int(a & 0x0F) << 4
            let segment = Int((a & 0x70) >> 4)
            switch segment {
            case 0: t += 8
            case 1: t += 0x108
            default: t = (t + 0x108) << (segment - 1)
            }
            return a & 0x80 != 0 ? t : -t
        }
        let u = ~byte
        var t = (Int(u & 0x0F) << 3) + 0x84
        t <<= Int((u & 0x70) >> 4)
        return u & 0x80 != 0 ? 0x84 - t : t - 0x84
    }

    /// Root mean square of one packet's samples.
    static func rms(_ packet: RTPCapture.Packet) -> Int {
        guard !packet.payload.isEmpty else { return 0 }
        var sum = 0
        for byte in packet.payload {
            let s = decode(byte, payloadType: packet.payloadType)
            sum += s * s
        }
        return Int(Double(sum / packet.payload.count).squareRoot())
    }
}
