import Foundation
import Synchronization
import XCTest

/// Runs sipp scenarios from the fixtures against a server, on loopback, bounded.
struct Sipp {
    let executable: String
    let work: URL

    init(name: String) throws {
        executable = try Peer.require("sipp", package: "sip-tester")
        work = try InteropPaths.temporaryDirectory(name)
        for file in try FileManager.default.contentsOfDirectory(atPath: InteropPaths.fixtures.appendingPathComponent("sipp").path) {
            try FileManager.default.copyItem(at: InteropPaths.fixtures.appendingPathComponent("sipp/\(file)"),
                                             to: work.appendingPathComponent(file))
        }
    }

    /// Writes `name` (RFC 4733, payload type `pt`) into the working directory, each digit
    /// 200 ms long, `gapMilliseconds` of silence between digits; `seed` picks SSRC and
    /// sequence start.
    func makeDTMFPcap(_ digits: String, named name: String = "dtmf.pcap", pt: Int = 101, gapMilliseconds: Int = 200,
                      seed: Int = 7) throws {
        try runPython(["gen_dtmf_pcap.py", digits, "-o", name, "--pt", "\(pt)", "--seed", "\(seed)",
                       "--gap-ms", "\(gapMilliseconds)"])
    }

    /// Runs a fixture script (e.g. gen_audio_pcap.py) with python3 in the working directory.
    func runPython(_ arguments: [String]) throws {
        let python = try Peer.require("python3", package: "python3")
        let result = try ChildProcess.run(python, arguments, in: work, timeout: 20)
        guard result.status == 0 else { throw ServerProcess.Failure("\(arguments.first ?? "") failed: \(result.output)") }
    }

    /// A SIP port and a media base per call, from slots handed out in turn from a random
    /// start, so two sipps of one test never share a slot and a leftover of an earlier run
    /// rarely does. sipp binds four media ports from the base (audio RTP and RTCP, then
    /// video RTP and RTCP), so slots are four media ports apart: two apart, one sipp's video
    /// port was the next one's audio port ("Unable to bind audio RTP socket", exit 254).
    static func ports() -> (sip: Int, media: Int) {
        let slot = nextSlot.withLock { next in
            defer { next = (next + 1) % 900 }
            return next
        }
        return (46000 + slot, 48000 + slot * 4)
    }

    private static let nextSlot = Mutex(Int.random(in: 0..<900))

    func run(scenario: String, target: String, service: String = "100", transport: String = "u1",
             mediaPort: Int, sipPort: Int, keys: [String: String] = [:], extraArguments: [String] = [],
             timeout: TimeInterval = 60) throws -> ProcessResult {
        var arguments = [target, "-sf", scenario, "-s", service, "-t", transport, "-i", "127.0.0.1",
                         "-p", "\(sipPort)", "-mp", "\(mediaPort)", "-m", "1", "-l", "1",
                         "-timeout", "\(Int(timeout) - 5)s", "-timeout_error", "-nostdin", "-trace_err", "-trace_msg"]
        for (key, value) in keys { arguments += ["-key", key, value] }
        arguments += extraArguments
        let result = try ChildProcess.run(executable, arguments, in: work, timeout: timeout)
        return ProcessResult(status: result.status, output: result.output + "\n" + messageTrace())
    }

    /// sipp's message and error traces, for failure messages.
    func messageTrace() -> String {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: work.path)) ?? []
        return files.filter { $0.hasSuffix("_messages.log") || $0.hasSuffix("_errors.log") }.compactMap {
            try? String(contentsOf: work.appendingPathComponent($0), encoding: .utf8)
        }.joined(separator: "\n").suffix(6000).description
    }
}
