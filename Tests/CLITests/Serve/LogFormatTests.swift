import Foundation
import XCTest
@testable import SwitchbackCLI

/// `--log-format text` writes journald's style exactly when stderr is the journal stream
/// systemd names in JOURNAL_STREAM (systemd.exec(5)).
final class LogFormatTests: XCTestCase {
    private func stderrIdentity() -> String {
        var status = stat()
        XCTAssertEqual(fstat(2, &status), 0)
        return "\(status.st_dev):\(status.st_ino)"
    }

    func testTextBecomesJournalOnlyWhenStderrIsTheJournalStream() {
        XCTAssertEqual(LogFormat.text.style(environment: [:]), .text)
        XCTAssertEqual(LogFormat.text.style(environment: ["JOURNAL_STREAM": stderrIdentity()]), .journal)
        XCTAssertEqual(LogFormat.text.style(environment: ["JOURNAL_STREAM": "1:2"]), .text, "another stream: a redirected stderr")
        XCTAssertEqual(LogFormat.text.style(environment: ["JOURNAL_STREAM": "garbage"]), .text)
    }

    func testJSONAndJournalAreTakenAsAsked() {
        XCTAssertEqual(LogFormat.json.style(environment: ["JOURNAL_STREAM": stderrIdentity()]), .json)
        XCTAssertEqual(LogFormat.journal.style(environment: [:]), .journal)
    }
}
