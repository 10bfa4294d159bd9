import Foundation
@testable import Switchboard
import XCTest

/// `switchback check` (and `serve`'s start-up log) warn where an access number calls
/// unknown callers back for their PIN while no `callback.free-access-user` pays for that
/// first leg: such callbacks are refused (issue 11).
final class PINCallbackPayerWarningTests: XCTestCase {
    func testAPINCallbackNumberWithoutAHouseAccountIsWarnedAbout() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        campaigns: { a: { script: a.yaml } }
        access-numbers:
          "1": { campaign: a, callback: always }
          "2": { campaign: a, callback: none }
          "3": { campaign: a, callback: drop-unauthenticated }
          "4": { campaign: a, callback: ivr-if-authenticated }
        """, file: "c.yaml")
        let warnings = ScriptCatalog.pinCallbackPayerWarnings(c).map(\.description)
        XCTAssertEqual(warnings.count, 2, "\(warnings)")
        XCTAssertTrue(warnings[0].hasPrefix("c.yaml:3:1: warning: access-numbers.1: callback always calls unknown callers back"),
                      warnings[0])
        XCTAssertTrue(warnings[0].contains("callback.free-access-user"), warnings[0])
        XCTAssertTrue(warnings[1].hasPrefix("c.yaml:6:1: warning: access-numbers.4:"), warnings[1])
    }

    func testAHouseAccountSilencesIt() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        campaigns: { a: { script: a.yaml } }
        access-numbers:
          "1": { campaign: a, callback: always }
        callback: { free-access-user: guest }
        """, file: "c.yaml")
        XCTAssertTrue(ScriptCatalog.pinCallbackPayerWarnings(c).isEmpty)
    }
}
