import ArgumentParser
import Foundation
import Store
import Switchboard

/// The Store protocols the operator commands use, whichever database holds them.
public typealias OperatorStore = AccountStore & AddressBookStore & BillingStore & CallerIDStore & CDRStore & RateStore

/// `--data-dir`, `--database` and `--config`, shared by every command that touches the database.
public struct DataOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: "Directory holding switchback.sqlite (created if missing).")
    public var dataDir: String = "./data"

    @Option(name: .customLong("database"),
            help: "postgresql://user[:password]@host[:port]/dbname: the shared PostgreSQL instead of the data directory's SQLite.")
    public var database: String?

    @Option(name: .customLong("config"),
            help: "The server's configuration file: its `database:` and `secrets.pin-pepper-file` are used.")
    public var config: String?

    public init() {}

    /// The database to open: `--database`, else the configuration's `database:`, else the
    /// data directory's SQLite; and the PIN pepper file the configuration names, if any.
    func location() throws -> (database: StoreDatabase, pinPepperFile: URL?) {
        var database = StoreDatabase.embeddedSQLite
        var pinPepperFile: URL?
        if let config {
            let url = URL(fileURLWithPath: config)
            let configuration = try ConfigurationLoader.load(contentsOf: url)
            database = configuration.database
            pinPepperFile = configuration.secrets.pinPepperFile.map {
                URL(fileURLWithPath: $0, relativeTo: url.deletingLastPathComponent()).standardizedFileURL
            }
        }
        if let database: String = self.database {
            do {
                return (try StoreDatabase(parsing: database), pinPepperFile)
            } catch {
                throw OperatorCommandError("--database: \(error)")
            }
        }
        return (database, pinPepperFile)
    }

    /// Opens (creating and migrating if needed) the store: the data directory's SQLite, or
    /// the PostgreSQL that `--database` or the configuration names.
    public func openStore() throws -> any OperatorStore {
        let dataDirectory = URL(fileURLWithPath: dataDir, isDirectory: true)
        let (database, pinPepperFile) = try location()
        switch database {
        case .embeddedSQLite:
            return try SQLiteStore(dataDirectory: dataDirectory, pinPepperFile: pinPepperFile)
        case .postgreSQL(let url):
            let postgres = try PostgresStore(url: url, dataDirectory: dataDirectory, pinPepperFile: pinPepperFile, poolSize: 2)
            // The commands read balances and open reservations (BillingStore): the cast holds
            // once PostgresStore has the billing intents (issue 17's money part).
            guard let store = postgres as Any as? any OperatorStore else {
                postgres.close()
                throw OperatorCommandError("database \(url.redacted): the PostgreSQL store does not implement billing yet")
            }
            return store
        }
    }
}
