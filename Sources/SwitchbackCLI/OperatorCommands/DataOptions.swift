import ArgumentParser
import Foundation
import Store

/// `--data-dir`, shared by every command that touches the database.
public struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory holding switchback.sqlite (created if missing).")
    public var dataDir: String = "./data"

    public init() {}

    /// Opens (creating and migrating if needed) the store in the data directory.
    public func openStore() throws -> SQLiteStore {
        try SQLiteStore(dataDirectory: URL(fileURLWithPath: dataDir, isDirectory: true))
    }
}
