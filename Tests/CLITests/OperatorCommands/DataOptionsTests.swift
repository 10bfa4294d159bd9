import ArgumentParser
import Foundation
import Store
import XCTest
@testable import SwitchbackCLI

/// Which database the operator commands open: the data directory's SQLite unless
/// `--database` or the configuration's `database:` names a PostgreSQL.
final class DataOptionsTests: XCTestCase {
    func testTheDataDirectorysSQLiteUnlessADatabaseIsNamed() throws {
        let directory = try TemporaryDataDirectory()
        let plain = try DataOptions.parse(["--data-dir", directory.dataDir])
        XCTAssertEqual(try plain.location().database, .embeddedSQLite)
        XCTAssertTrue(try plain.openStore() is SQLiteStore)

        let config = try directory.file("config.yaml", contents: """
            database: postgresql://sb:pw@db.example:5433/switchback
            secrets: { pin-pepper-file: secrets/pepper }
            """)
        let configured = try DataOptions.parse(["--config", config]).location()
        XCTAssertEqual(configured.database,
                       .postgreSQL(PostgresURL(user: "sb", password: "pw", host: "db.example", port: 5433, database: "switchback")))
        XCTAssertEqual(configured.pinPepperFile?.path, directory.url.appendingPathComponent("secrets/pepper").standardizedFileURL.path)

        let overridden = try DataOptions.parse(["--config", config, "--database", "postgresql://ops@127.0.0.1/other"]).location()
        XCTAssertEqual(overridden.database, .postgreSQL(PostgresURL(user: "ops", host: "127.0.0.1", database: "other")),
                       "--database wins over the configuration")
        XCTAssertThrowsError(try DataOptions.parse(["--database", "postgresql://127.0.0.1/x"]).location()) {
            XCTAssertTrue("\($0)".hasPrefix("--database: no user name"), "\($0)")
        }
    }

    /// A PostgreSQL nobody listens on: a clear error naming it without the password, not a hang.
    func testAnUnreachableDatabaseIsNamedWithoutItsPassword() throws {
        let directory = try TemporaryDataDirectory()
        let options = try DataOptions.parse(["--data-dir", directory.dataDir,
                                             "--database", "postgresql://ops:hunter2@127.0.0.1:9/switchback"])
        XCTAssertThrowsError(try options.openStore()) {
            XCTAssertTrue("\($0)".contains("postgresql://ops@127.0.0.1:9/switchback is unavailable"), "\($0)")
            XCTAssertFalse("\($0)".contains("hunter2"), "\($0)")
        }
    }
}
