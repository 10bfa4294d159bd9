import Foundation
import XCTest

/// `media.rtp-timeout` through the real binary: a caller whose phone goes silent without a
/// BYE (network gone) is hung up and its prepaid call settled then, not at the end of its
/// grant; a caller who talks, or who put us on hold, is left alone.
final class MediaTimeoutTests: XCTestCase {
    private static let media = "rtp-timeout: 5s"

    func testASilentCallerIsHungUpAndTheCallSettled() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: BillingCallTests.rateDeck, name: "media-timeout-data")
        let sipp = try Sipp(name: "media-timeout-silent")
        try sipp.makeDTMFPcap("123456#")
        let server = try Self.server(name: "media-timeout-silent", data: data)
        defer { server.stop() }
        let ports = Sipp.ports()
        let target = "127.0.0.1:\(server.udpPort)"
        let sippDone = DispatchSemaphore(value: 0)
        // The caller would hold 40 s in silence after its PIN; the server's BYE ends it early.
        Thread.detachNewThread {
            _ = try? sipp.run(scenario: "pin_hold_bye.xml", target: target, service: "501", mediaPort: ports.media,
                              sipPort: ports.sip, extraArguments: ["-d", "40000"], timeout: 50)
            sippDone.signal()
        }
        defer { _ = sippDone.wait(timeout: .now() + 55) }

        try server.waitForEvents(timeout: 20) { $0["message"] == "access leg billed" }
        let billed = Date()
        try server.waitForEvents(timeout: 20) { $0["message"] == "access leg settled" }
        let settledAfter = Date().timeIntervalSince(billed)
        let log = server.rawLog.suffix(6000)
        let problem = try XCTUnwrap(server.events { $0["message"] == "no media from the caller" }.first, "\(log)")
        XCTAssertEqual(problem["reason"], "no RTP or RTCP for 5 s", "\(log)")
        let hangups = server.events { $0["message"] == "hangup" }
        XCTAssertEqual(hangups.map { $0["by"] ?? "" }, ["server"], "\(log)")
        XCTAssertEqual(hangups.first?["cause"], "media-timeout", "\(log)")
        // The PIN's digits end ~3 s after the answer; 5 s of silence later, sampled each second.
        XCTAssertLessThan(settledAfter, 15, "settled \(settledAfter) s after billing began, not at the 40 s hang-up")

        let rows = try OperatorCLI.cdrRows(data)
        XCTAssertEqual(rows.map { $0["disposition"] ?? "" }, ["answered"], "settled, not in progress: \(rows)")
        let account = try OperatorCLI.show("alice", data: data)
        XCTAssertEqual(account.openCalls, "0")
        XCTAssertEqual(account.callEntries.count, 1, "one charge for the call")
    }

    func testATalkingCallerAndACallerWhoPutUsOnHoldAreLeftAlone() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: BillingCallTests.rateDeck, name: "media-timeout-talk-data")
        let sipp = try Sipp(name: "media-timeout-talk")
        try sipp.makeDTMFPcap("123456#")
        let sox = try Peer.require("sox", package: "sox")
        let tone = try ChildProcess.run(sox, ["-n", "-r", "8000", "-c", "1", "-b", "16", "talk.wav", "synth", "10",
                                              "sine", "700", "vol", "0.25"], in: sipp.work, timeout: 20)
        XCTAssertEqual(tone.status, 0, tone.output)
        try sipp.runPython(["gen_audio_pcap.py", "talk.wav", "-o", "talk.pcap", "--codec", "pcmu", "--seed", "11"])
        let server = try Self.server(name: "media-timeout-talk", data: data)
        defer { server.stop() }
        let ports = Sipp.ports()
        // 9 s of talk, then 8 s on hold (a=inactive), both longer than the 5 s timeout.
        let result = try sipp.run(scenario: "talk_hold_bye.xml", target: "127.0.0.1:\(server.udpPort)", service: "501",
                                  mediaPort: ports.media, sipPort: ports.sip, timeout: 50)
        let log = server.rawLog.suffix(6000)
        XCTAssertEqual(result.status, 0, "the caller hung up itself: \(result.output)\n\(log)")
        XCTAssertTrue(server.events { $0["message"] == "no media from the caller" }.isEmpty, "\(log)")
        XCTAssertEqual(server.events { $0["message"] == "hangup" }.map { $0["by"] ?? "" }, ["caller"], "\(log)")
    }

    private static func server(name: String, data: URL) throws -> ServerProcess {
        let script = InteropPaths.fixtures.appendingPathComponent("scripts/billing.yaml").path
        return try ServerProcess(accessNumbersYAML: #"  "501": { campaign: billing }"#,
                                 campaignsYAML: "  billing: { script: \(script) }", name: name,
                                 dataDirectory: data, mediaYAML: media)
    }
}
