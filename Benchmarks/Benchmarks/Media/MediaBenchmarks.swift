import Benchmark
import Foundation
import Media

// Micro benchmarks of the per-packet work: at 2,600 calls per 2 cores the media path
// handles 130,000 packets a second each way, so each of these runs once per packet
// (or per 20 ms frame) of every call. Only `Media` is imported (no NIOCore), so the
// target needs no dependency beyond Benchmark and Media.

let benchmarks: @Sendable () -> Void = {
    let frame: [Int16] = (0..<160).map { Int16((8000 * sin(2 * Double.pi * 440 * Double($0) / 8000)).rounded()) }
    let encodedFrame = G711.encode(frame, .ulaw)
    let packetBytes = RTPPacket(marker: false, payloadType: 0, sequenceNumber: 1234, timestamp: 160_000,
                                ssrc: 0xCAFE_BABE, payload: encodedFrame).serialized()

    Benchmark("G711 encode one 20 ms frame (µ-law)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(G711.encode(frame, .ulaw))
        }
    }

    Benchmark("G711 decode one 20 ms frame as it is read (A-law, summed)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(encodedFrame.withUnsafeBytes { G711.samples(of: $0, .alaw).reduce(0) { $0 &+ Int($1) } })
        }
    }

    Benchmark("RTP header parse (zero copy)") { benchmark in
        for _ in benchmark.scaledIterations {
            packetBytes.withUnsafeBytes { blackHole(try? RTPHeader(parsing: $0)) }
        }
    }

    Benchmark("RTP packet parse (owning payload)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? RTPPacket(parsing: packetBytes))
        }
    }

    // One conference tick of five parties: decode each party's frame, mix-minus, encode
    // what each party hears (MediaConference does this once per 20 ms per conference).
    Benchmark("Conference mix, 5 parties, one 20 ms frame (decode, mix-minus, encode)") { benchmark in
        var mixer = ConferenceMixer(capacity: 5)
        var encoded = [UInt8](repeating: 0, count: 160)
        for _ in benchmark.scaledIterations {
            mixer.beginFrame()
            encodedFrame.withUnsafeBytes { bytes in
                for slot in 0..<5 { mixer.setInput(slot, encoded: bytes, law: .ulaw) }
            }
            mixer.mix()
            for slot in 0..<5 {
                mixer.output(for: slot) { samples in
                    encoded.withUnsafeMutableBytes { G711.encode(samples, .ulaw, into: $0) }
                }
                blackHole(encoded)
            }
        }
    }

    Benchmark("Goertzel DTMF detector, one 20 ms frame") { benchmark in
        var detector = GoertzelDTMFDetector()
        for _ in benchmark.scaledIterations {
            detector.process(frame) { blackHole($0) }
        }
    }
}
