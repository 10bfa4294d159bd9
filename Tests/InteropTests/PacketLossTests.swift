import Foundation
import XCTest

/// 200 calls through 10 % loss each way on the SIP path (tools/udp-loss-relay.py between
/// sipp and the server, 10–30 ms delay): retransmissions (Timer A for the INVITE, Timer E
/// for the BYE, the server's 2xx and non-INVITE response retransmissions) carry every
/// transaction, and at least 99 % of the calls complete.
///
/// RTP: the relay rewrites nothing (rewriting SDP would make it a B2BUA, not a lossy
/// wire), so the caller's SDP itself names a second relay, in front of sipp's media port:
/// the server's RTP (the demo's prompts) crosses 10 % loss too. sipp's own RTP (none
/// here) would go straight to the server's SDP address. The calls' completion depends on
/// SIP alone; RTP loss is shown not to disturb the server.
final class PacketLossTests: XCTestCase {
    static let calls = 200

    func testTwoHundredCallsCompleteThroughTenPercentLoss() throws {
        let server = try ServerProcess(name: "loss", logLevel: "info")
        defer { server.stop() }
        let relay = try LossRelay(target: "127.0.0.1:\(server.udpPort)", lossPercent: 10, delayMilliseconds: 10,
                                  jitterMilliseconds: 20, seed: 16, name: "loss-relay")
        let caller = try Sipp(name: "loss-caller")
        let ports = Sipp.ports()
        let rtpRelay = try LossRelay(target: "127.0.0.1:\(ports.media)", lossPercent: 10, delayMilliseconds: 10,
                                     jitterMilliseconds: 20, seed: 17, name: "loss-rtp-relay")
        let started = Date()
        // 20 calls a second, at most 80 at once: the 200 calls are placed in ~10 s and each
        // lasts ~2 s plus what its retransmissions cost.
        let result = try caller.run(scenario: "loss-caller.xml", target: "127.0.0.1:\(relay.port)", service: "100",
                                    mediaPort: ports.media, sipPort: ports.sip, keys: ["rtp_port": "\(rtpRelay.port)"],
                                    extraArguments: ["-m", "\(Self.calls)", "-r", "20", "-l", "80",
                                                     "-trace_stat", "-stf", "loss-stats.csv", "-fd", "1",
                                                     "-max_retrans", "8", "-max_invite_retrans", "8",
                                                     // A provisional response that arrives after the 200
                                                     // (reordered by the jitter, or answering a retransmitted
                                                     // INVITE) is ignored, as RFC 3261 §17.1.1.2 has a UAC do,
                                                     // instead of aborting the call.
                                                     "-default_behaviors", "all,-abortunexp"],
                                    timeout: 150)
        let elapsed = Date().timeIntervalSince(started)
        let stats = try relay.stop()
        let rtp = try rtpRelay.stop()
        let counters = try Self.lastStatistics(caller.work.appendingPathComponent("loss-stats.csv"))
        let successful = counters["SuccessfulCall(C)"] ?? -1
        let failed = counters["FailedCall(C)"] ?? -1
        let retransmissions = counters["Retransmissions(C)"] ?? -1
        let report = """
            \(successful) of \(Self.calls) calls completed, \(failed) failed, in \(Int(elapsed)) s; \
            sipp retransmissions \(retransmissions); relay to server: \(stats.toTarget); relay to sipp: \(stats.toClient); \
            RTP relay to sipp: \(rtp.toTarget)
            """
        print("packet loss: \(report)")
        let log = "\(report)\nsipp:\n\(result.output.suffix(4000))\nserver log:\n\(server.rawLog.suffix(4000))"

        XCTAssertGreaterThanOrEqual(successful * 100, Self.calls * 99, log)
        XCTAssertEqual(successful + failed, Self.calls, log)
        // The loss was real, and retransmissions covered it in both directions.
        let droppedShare = Double(stats.toTarget.dropped + stats.toClient.dropped)
            / Double(stats.toTarget.received + stats.toClient.received)
        XCTAssertEqual(droppedShare, 0.10, accuracy: 0.03, log)
        XCTAssertGreaterThan(retransmissions, 0, "sipp never retransmitted: was anything lost?\n\(log)")
        XCTAssertGreaterThan(stats.toTarget.repeats, 0, log)
        XCTAssertGreaterThan(stats.toClient.repeats, 0, "the server never retransmitted a response\n\(log)")
        // The server's RTP crossed its lossy path.
        XCTAssertGreaterThan(rtp.toTarget.received, Self.calls * 10, log)
        XCTAssertEqual(Double(rtp.toTarget.dropped) / Double(rtp.toTarget.received), 0.10, accuracy: 0.02, log)
        XCTAssertTrue(server.isRunning)
    }

    /// The last row of a sipp `-trace_stat` file, by column name (cumulative counters).
    static func lastStatistics(_ file: URL) throws -> [String: Int] {
        let text = try String(contentsOf: file, encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.isEmpty }
        guard let header = lines.first, let last = lines.last, lines.count >= 2 else {
            throw ServerProcess.Failure("sipp statistics file \(file.path) has no data rows:\n\(text)")
        }
        let names = header.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        let values = last.split(separator: ";", omittingEmptySubsequences: false).map(String.init)
        var counters: [String: Int] = [:]
        for (name, value) in zip(names, values) {
            if let number = Int(value) { counters[name] = number }
        }
        return counters
    }
}
