import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The transaction spool through the real binary: 1,000 lines (every 10th bad) appended
/// while the server is killed with -9 twice and restarted on the same data; in the end
/// each good line was queued exactly once and each bad one is in the rejects file with
/// its line number.
final class SpoolInteropTests: XCTestCase {
    static let lines = 1_000

    /// Line `n` (1-based): good ones connect 4940<n, 5 digits>; every 10th has a wrong password.
    static func line(_ n: Int) -> String {
        let number = "4940" + String(format: "%05d", n)
        return n % 10 == 0 ? "alice,wrong,\(number)" : "alice,2468,\(number)"
    }

    func testEachLineIsQueuedExactlyOnceAcrossTwoKillNines() throws {
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck,
                                                     name: "spool-data")
        try OperatorCLI.run(["callers", "add", "alice", "4930111"], data: data)
        let spool = data.deletingLastPathComponent().appendingPathComponent("WebCallBackData.txt")
        let rejects = data.deletingLastPathComponent().appendingPathComponent("WebCallBackData.rejects")
        FileManager.default.createFile(atPath: spool.path, contents: nil)
        let extra = """
        spool: { file: \(spool.path), rejects: \(rejects.path), poll: 20ms }
        callback:
          web-campaign: web-callback
          limits: { concurrent-per-account: 1, per-hour-per-account: 1 }
        """
        let campaigns = "  web-callback: { script: \(InteropPaths.packageRoot.path)/scripts/web-callback.yaml }"
        func start(_ name: String) throws -> ServerProcess {
            try ServerProcess(campaignsYAML: campaigns, extraYAML: extra, name: name, dataDirectory: data)
        }

        // The writer appends in bursts while the server is killed and restarted.
        let writer = Background { () throws -> ProcessResult in
            let handle = try FileHandle(forWritingTo: spool)
            defer { try? handle.close() }
            for n in 1...Self.lines {
                try handle.seekToEnd()
                try handle.write(contentsOf: Data((Self.line(n) + "\n").utf8))
                if n % 50 == 0 { Thread.sleep(forTimeInterval: 0.05) }
            }
            return ProcessResult(status: 0, output: "\(Self.lines) lines written")
        }
        var server = try start("spool-1")
        Thread.sleep(forTimeInterval: 0.4)
        server.killHard()
        server = try start("spool-2")
        Thread.sleep(forTimeInterval: 0.3)
        server.killHard()
        server = try start("spool-3")
        defer { server.stop() }
        XCTAssertEqual(try writer.wait(timeout: 60).status, 0)

        // Wait until the last line is taken (its request queued, or the line rejected).
        let deadline = Date().addingTimeInterval(60)
        var rows: [String] = []
        while Date() < deadline {
            rows = try Self.spoolDestinations(data)
            let rejected = (try? String(contentsOf: rejects, encoding: .utf8)) ?? ""
            if rows.contains("4940" + String(format: "%05d", Self.lines - 1)) && rejected.contains("line \(Self.lines):") { break }
            Thread.sleep(forTimeInterval: 0.2)
        }
        var counts: [String: Int] = [:]
        for row in rows { counts[row, default: 0] += 1 }
        let good = (1...Self.lines).filter { $0 % 10 != 0 }.map { "4940" + String(format: "%05d", $0) }
        let missing = good.filter { counts[$0] == nil }
        let twice = counts.filter { $0.value > 1 }.keys.sorted()
        XCTAssertEqual(missing, [], "good lines never queued")
        XCTAssertEqual(twice, [], "lines queued more than once")
        XCTAssertEqual(rows.count, good.count)

        let rejected = try String(contentsOf: rejects, encoding: .utf8).split(separator: "\n").map(String.init)
        let rejectedLines = Set(rejected.compactMap { line -> Int? in
            guard line.hasPrefix("line ") else { return nil }
            return Int(line.dropFirst(5).prefix { $0.isNumber })
        })
        XCTAssertEqual(rejectedLines, Set(stride(from: 10, through: Self.lines, by: 10)), rejected.prefix(5).joined(separator: "\n"))
        for line in rejected {
            XCTAssertTrue(line.contains(": wrong user or password: alice,***,4940"), line)
        }
        XCTAssertEqual(server.events(where: { $0["message"] == "spool followed" }).count, 1)
    }

    /// The destinations of every spool request, read with Python's sqlite3 (not our code).
    static func spoolDestinations(_ data: URL) throws -> [String] {
        let script = """
        import json, sqlite3, sys
        db = sqlite3.connect(sys.argv[1])
        for (destinations,) in db.execute("SELECT destinations FROM callbackRequest WHERE trigger = 'spool'"):
            for number in json.loads(destinations):
                print(number)
        """
        let result = try ChildProcess.run("/usr/bin/env", ["python3", "-c", script,
                                                           data.appendingPathComponent("switchback.sqlite").path], timeout: 30)
        guard result.status == 0 else { throw ServerProcess.Failure("sqlite read failed: \(result.output)") }
        return result.output.split(separator: "\n").map(String.init).filter { $0.hasPrefix("4940") }
    }
}
