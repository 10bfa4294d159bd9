import Foundation
import XCTest

/// `switchback check` as the unit's ExecReload runs it: exit status and messages of the
/// built binary (what it checks is pinned by CLITests/CheckCommandTests).
final class CheckCommandBinaryTests: XCTestCase {
    func testEmbeddedDefaultsPassFromAnyDirectory() throws {
        let directory = try InteropPaths.temporaryDirectory("check-ok")
        let result = try ChildProcess.run(InteropPaths.binary.path, ["check"], in: directory, timeout: 60)
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("embedded defaults: ok: 6 campaign(s), 4 access number(s), 0 trunk(s)"), result.output)
    }

    func testABrokenConfigurationExitsOneNamingTheLine() throws {
        let directory = try InteropPaths.temporaryDirectory("check-bad")
        let config = directory.appendingPathComponent("config.yaml")
        try """
        sip:
          listen: [udp:0.0.0.0:5060]
          lisen: [tcp:0.0.0.0:5060]
        """.write(to: config, atomically: true, encoding: .utf8)
        let result = try ChildProcess.run(InteropPaths.binary.path, ["check", "--config", config.path], in: directory, timeout: 60)
        XCTAssertEqual(result.status, 1, result.output)
        XCTAssertTrue(result.output.contains("\(config.path):3: error: sip.lisen: unknown key"), result.output)
        XCTAssertTrue(result.output.contains("\(config.path): 1 error(s)"), result.output)
    }
}
