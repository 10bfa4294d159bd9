import Foundation

/// Minimal RIFF/WAVE PCM16 reading and writing for the baresip test's microphone and
/// recordings (baresip's sndfile module writes 16-bit PCM).
struct WAVFile {
    var sampleRate: Int
    var channels: Int
    var samples: [Int16]

    var durationSeconds: Double { Double(samples.count / max(channels, 1)) / Double(sampleRate) }

    var rms: Int {
        guard !samples.isEmpty else { return 0 }
        let sum = samples.reduce(0) { $0 + Int($1) * Int($1) }
        return Int(Double(sum / samples.count).squareRoot())
    }

    static func read(_ url: URL) throws -> WAVFile {
        let bytes = Array(try Data(contentsOf: url))
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, String(decoding: bytes[0..<4], as: UTF8.self) == "RIFF",
              String(decoding: bytes[8..<12], as: UTF8.self) == "WAVE" else {
            throw ServerProcess.Failure("\(url.lastPathComponent) is not a RIFF/WAVE file")
        }
        var offset = 12
        var rate = 0, channels = 0, bits = 0
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            var size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt " {
                channels = u16(body + 2)
                rate = u32(body + 4)
                bits = u16(body + 14)
            } else if id == "data" {
                guard bits == 16 else { throw ServerProcess.Failure("\(url.lastPathComponent): \(bits)-bit audio, expected 16") }
                if size == 0 || body + size > bytes.count { size = bytes.count - body }   // still being written
                var samples: [Int16] = []
                samples.reserveCapacity(size / 2)
                var i = body
                while i + 1 < body + size {
                    samples.append(Int16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8))
                    i += 2
                }
                return WAVFile(sampleRate: rate, channels: channels, samples: samples)
            }
            offset = body + size + (size & 1)
        }
        throw ServerProcess.Failure("\(url.lastPathComponent) has no data chunk")
    }

    func write(_ url: URL) throws {
        var data = Data()
        func put32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { data.append(contentsOf: $0) } }
        func put16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { data.append(contentsOf: $0) } }
        let dataSize = samples.count * 2
        data.append(contentsOf: Array("RIFF".utf8)); put32(36 + dataSize); data.append(contentsOf: Array("WAVE".utf8))
        data.append(contentsOf: Array("fmt ".utf8)); put32(16); put16(1); put16(channels); put32(sampleRate)
        put32(sampleRate * channels * 2); put16(channels * 2); put16(16)
        data.append(contentsOf: Array("data".utf8)); put32(dataSize)
        for sample in samples { withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) } }
        try data.write(to: url)
    }
}
