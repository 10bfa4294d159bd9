import Billing
import Foundation
import GRDB

/// The embedded store: SQLite through GRDB, implementing every Store protocol.
///
/// Files are opened as a `DatabasePool` in WAL mode (readers never block the one writer);
/// tests use an in-memory `DatabaseQueue`. Every operation that changes money runs inside
/// a single `write` transaction, and GRDB serialises writes, so checks and updates cannot
/// interleave between concurrent calls.
public final class SQLiteStore: Sendable {
    /// Default file name inside the data directory.
    public static let fileName = "switchback.sqlite"

    /// The embedded store's default node id: one process serves the database.
    public static let localNode = "local"

    let writer: any DatabaseWriter
    /// The node this store serves (recorded on reservations and callback claims).
    public let node: String
    let passwordHasher: PasswordHasher
    let pinHasher: PINHasher
    let ratePlanCache = RatePlanCache()

    /// Opens (creating if needed) `<dataDirectory>/switchback.sqlite` and migrates it. The
    /// PIN pepper is read from `pinPepperFile`, by default the data directory's sibling
    /// `<data directory>.pin-pepper` (created 0600 when missing; `PINPepper`).
    public convenience init(dataDirectory: URL, passwordHasher: PasswordHasher = .standard, pinPepperFile: URL? = nil,
                            node: String = SQLiteStore.localNode) throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let pepper = try PINPepper.loadOrCreate(at: pinPepperFile ?? PINPepper.defaultFile(forDataDirectory: dataDirectory))
        try self.init(path: dataDirectory.appendingPathComponent(Self.fileName).path, passwordHasher: passwordHasher,
                      pinPepper: pepper, node: node)
    }

    /// Opens (creating if needed) the database file at `path` in WAL mode and migrates it.
    /// Without `pinPepper`, the pepper file next to the database's directory.
    public convenience init(path: String, passwordHasher: PasswordHasher = .standard, pinPepper: [UInt8]? = nil,
                            node: String = SQLiteStore.localNode) throws {
        var configuration = Configuration()
        // Wait for a writer in another process (e.g. the CLI while the server runs).
        configuration.busyMode = .timeout(10)
        let pepper = try pinPepper ?? PINPepper.loadOrCreate(
            at: PINPepper.defaultFile(forDataDirectory: URL(fileURLWithPath: path).deletingLastPathComponent()))
        let pool = try DatabasePool(path: path, configuration: configuration)
        try self.init(writer: pool, passwordHasher: passwordHasher, pinPepper: pepper, node: node)
    }

    /// A fresh in-memory database, for tests, with a random pepper of its own.
    public static func inMemory(passwordHasher: PasswordHasher = .standard) throws -> SQLiteStore {
        var generator = SystemRandomNumberGenerator()
        let pepper = (0..<PINPepper.byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return try SQLiteStore(writer: DatabaseQueue(), passwordHasher: passwordHasher, pinPepper: pepper)
    }

    init(writer: any DatabaseWriter, passwordHasher: PasswordHasher, pinPepper: [UInt8] = [],
         node: String = SQLiteStore.localNode) throws {
        try StoreMigrations.migrator.migrate(writer)
        let salt = try writer.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = 'pinSalt'")
        }
        guard let salt else { throw StoreError.corruptRow("setting pinSalt is missing") }
        self.writer = writer
        self.node = node
        self.passwordHasher = passwordHasher
        self.pinHasher = PINHasher(salt: salt, pepper: pinPepper)
    }

    /// Names of the migrations applied to the database, in order.
    public func appliedMigrations() throws -> [String] {
        try writer.read { db in try StoreMigrations.migrator.appliedMigrations(db) }
    }
}

/// Built rate plans, keyed by name and the plan's `updatedAt`, so a 100,000-prefix deck is
/// read from disk once per import rather than once per call.
final class RatePlanCache: @unchecked Sendable {
    private let lock = NSLock()
    private var plans: [String: (updatedAt: Date, plan: RatePlan)] = [:]

    func plan(_ name: String, updatedAt: Date) -> RatePlan? {
        lock.lock()
        defer { lock.unlock() }
        guard let entry = plans[name], entry.updatedAt == updatedAt else { return nil }
        return entry.plan
    }

    func store(_ plan: RatePlan, updatedAt: Date) {
        lock.lock()
        defer { lock.unlock() }
        plans[plan.name] = (updatedAt, plan)
    }

    func invalidate(_ name: String) {
        lock.lock()
        defer { lock.unlock() }
        plans[name] = nil
    }
}
