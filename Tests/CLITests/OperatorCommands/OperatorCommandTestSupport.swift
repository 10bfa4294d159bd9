import ArgumentParser
import Billing
import Foundation
import Store
import XCTest
@testable import SwitchbackCLI

/// A temporary data directory for one test, removed afterwards.
final class TemporaryDataDirectory {
    let url: URL
    var path: String { url.path }

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchback-cli-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var dataDir: String { url.appendingPathComponent("data").path }

    func file(_ name: String, contents: String? = nil) throws -> String {
        let path = url.appendingPathComponent(name).path
        if let contents { try contents.write(toFile: path, atomically: true, encoding: .utf8) }
        return path
    }

    /// The store the commands wrote to.
    func store() throws -> SQLiteStore {
        try SQLiteStore(dataDirectory: URL(fileURLWithPath: dataDir), passwordHasher: PasswordHasher(rounds: 1_000))
    }
}

/// Parses `arguments` as `Command`'s command line (with `--data-dir` added), runs it
/// in-process and returns what it printed.
@discardableResult
func runOperatorCommand<Command: ParsableCommand>(_ type: Command.Type, _ arguments: [String], in directory: TemporaryDataDirectory) throws -> String {
    var command = try type.parseAsRoot(arguments + ["--data-dir", directory.dataDir])
    let output = CapturedOutput()
    try OperatorConsole.$output.withValue(output) {
        try command.run()
    }
    return output.text
}

func eur(_ text: String) -> Money { try! Money.parse(text, currency: "EUR") }

/// The message a command-line user would see for `error`.
func operatorErrorMessage(_ error: Error) -> String {
    AccountsCommand.message(for: error)
}
