import Foundation
import XCTest

/// `--help` is the manual of every command (DESIGN.md, "Configuration and commands"):
/// these tests pin what the built binary prints, so a subcommand or an option cannot
/// drop out of it unnoticed.
final class CLIHelpTests: XCTestCase {
    private func help(_ arguments: [String]) throws -> String {
        let result = try ChildProcess.run(InteropPaths.binary.path, arguments + ["--help"], timeout: 30)
        XCTAssertEqual(result.status, 0, "switchback \(arguments.joined(separator: " ")) --help failed:\n\(result.output)")
        return result.output
    }

    private func assertMentions(_ text: String, _ words: [String], in command: String, file: StaticString = #filePath, line: UInt = #line) {
        // Help is wrapped to the terminal's width: compare with every run of spaces and
        // line breaks as one space.
        let flowing = text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined(separator: " ")
        for word in words where !flowing.contains(word) {
            XCTFail("`switchback \(command) --help` does not mention \(word):\n\(text)", file: file, line: line)
        }
    }

    func testRootHelpListsEverySubcommand() throws {
        let text = try help([])
        XCTAssertTrue(text.contains("USAGE: switchback <subcommand>"), text)
        let listed = Set(text.split(separator: "\n").compactMap { line -> String? in
            // Subcommand lines are indented under SUBCOMMANDS: "  name   abstract".
            let trimmed = line.drop { $0 == " " }
            guard line.hasPrefix("  "), let name = trimmed.split(separator: " ").first else { return nil }
            return String(name)
        })
        for command in ["serve", "check", "validate", "simulate", "graph", "accounts", "callers", "addressbook", "rates", "cdr"] {
            XCTAssertTrue(listed.contains(command), "`switchback --help` does not list \(command):\n\(text)")
        }
        XCTAssertTrue(text.contains("Callback and calling-card telephony server"), text)
    }

    func testValidateHelpNamesItsOptionsAndTheDiagnosticForm() throws {
        let text = try help(["validate"])
        assertMentions(text, ["USAGE: switchback validate", "<files> ...", "--sounds <sounds>", "--strict",
                              "FILE:LINE:COLUMN: error: MESSAGE", "warning:", "Exits 0 when there is no error, 1 otherwise"],
                       in: "validate")
    }

    func testSimulateHelpNamesItsOptions() throws {
        let text = try help(["simulate"])
        assertMentions(text, ["USAGE: switchback simulate", "<script>", "--ani <ani>", "--dnis <dnis>", "--account <account>",
                              "--balance <balance>", "--digits <digits>", "--pin <pin>", "--ani-registered", "--dial-outcome",
                              "--node <node>", "transcript"],
                       in: "simulate")
    }

    func testGraphHelpNamesItsArgumentAndOutput() throws {
        let text = try help(["graph"])
        assertMentions(text, ["USAGE: switchback graph <script>", "<script>", "Graphviz DOT", "dot -Tsvg"], in: "graph")
    }

    func testServeHelpDocumentsReload() throws {
        let text = try help(["serve"])
        assertMentions(text, ["--config <config>", "--sip-listen", "--http-listen", "--data-dir", "--log-format",
                              "--log-level", "--share-dir", "journal", "call received, answered and hangup",
                              "SIGHUP", "POST /admin/reload", "http.admin-token"],
                       in: "serve")
    }

    func testCheckHelpNamesItsOptionsAndTheDiagnosticForm() throws {
        let text = try help(["check"])
        assertMentions(text, ["USAGE: switchback check", "--config <config>", "--share-dir", "FILE:LINE:COLUMN: error: MESSAGE",
                              "exits 0 when there is no error, 1 otherwise", "Binds no port"],
                       in: "check")
    }

    /// `--version`: the version and build the binary was built from (`git describe` via
    /// SWITCHBACK_VERSION, "dev" for a plain `swift build`).
    func testVersionPrintsTheBuild() throws {
        let result = try ChildProcess.run(InteropPaths.binary.path, ["--version"], timeout: 30)
        XCTAssertEqual(result.status, 0, result.output)
        let words = result.output.split(whereSeparator: \.isWhitespace)
        XCTAssertEqual(words.count, 2, result.output)
        XCTAssertEqual(words.first, "switchback", result.output)
        XCTAssertFalse(words.last?.isEmpty ?? true, result.output)
    }
}
