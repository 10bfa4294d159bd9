import Billing
import Foundation
import Logging
import PostgresNIO

/// The shared store of several nodes: PostgreSQL through postgres-nio, implementing the
/// Store protocols with the same meanings and errors as `SQLiteStore`.
///
/// The protocols are synchronous, so the store keeps a small pool of connections on an
/// event-loop group of its own (`PostgresConnectionPool`) and waits for their answers on
/// the caller's thread. Every change runs in a `transaction`, which rolls back on error and
/// retries a bounded number of times when PostgreSQL reports a serialization failure or a
/// deadlock. A database that cannot be reached gives `StoreError.databaseUnavailable`,
/// naming the URL without its password, after at most the connect timeout.
public final class PostgresStore: Sendable {
    /// Connections kept by default: enough for the server's thread pool and event loops.
    public static let defaultPoolSize = 8
    /// How long a connection attempt may take before the database counts as down.
    public static let defaultConnectTimeout: TimeInterval = 5
    /// How long a statement may go unanswered before its connection is given up.
    public static let defaultAnswerTimeout: TimeInterval = 60
    /// Attempts of a transaction that keeps meeting serialization failures or deadlocks.
    static let transactionAttempts = 5
    /// The node id when none is configured: the host's name.
    public static var defaultNode: String { ProcessInfo.processInfo.hostName }

    public let url: PostgresURL
    /// The node this store serves: recorded on its reservations and callback claims
    /// (`NodeLeaseStore`). Nodes sharing a database must have different ids.
    public let node: String
    let pool: PostgresConnectionPool
    let passwordHasher: PasswordHasher
    let pinHasher: PINHasher
    let ratePlanCache = RatePlanCache()

    /// Connects to `url`, migrates the database, and reads the PIN pepper from
    /// `pinPepperFile`, by default `<data directory>.pin-pepper` (created 0600 when
    /// missing; `PINPepper`). Nodes sharing a database must share the pepper file's content.
    public convenience init(url: PostgresURL, dataDirectory: URL, passwordHasher: PasswordHasher = .standard,
                            pinPepperFile: URL? = nil, poolSize: Int = PostgresStore.defaultPoolSize,
                            node: String = PostgresStore.defaultNode) throws {
        let pepper = try PINPepper.loadOrCreate(at: pinPepperFile ?? PINPepper.defaultFile(forDataDirectory: dataDirectory))
        try self.init(url: url, passwordHasher: passwordHasher, pinPepper: pepper, poolSize: poolSize, node: node)
    }

    /// Connects to `url` and migrates the database (under an advisory lock: nodes starting
    /// together apply each migration once).
    public init(url: PostgresURL, passwordHasher: PasswordHasher = .standard, pinPepper: [UInt8],
                poolSize: Int = PostgresStore.defaultPoolSize,
                connectTimeout: TimeInterval = PostgresStore.defaultConnectTimeout,
                answerTimeout: TimeInterval = PostgresStore.defaultAnswerTimeout,
                node: String = PostgresStore.defaultNode) throws {
        var logger = Logger(label: "switchback.store.postgresql")
        logger.logLevel = .warning
        let pool = PostgresConnectionPool(url: url, size: poolSize, connectTimeout: connectTimeout,
                                          checkoutTimeout: 30, answerTimeout: answerTimeout, logger: logger)
        let salt: String?
        do {
            salt = try pool.withSession { session in
                try PostgresMigrations.migrate(session)
                return try session.scalar("SELECT value FROM setting WHERE key = 'pinSalt'", as: String.self)
            }
        } catch {
            pool.close()
            throw error
        }
        guard let salt else {
            pool.close()
            throw StoreError.corruptRow("setting pinSalt is missing")
        }
        self.url = url
        self.node = node
        self.pool = pool
        self.passwordHasher = passwordHasher
        self.pinHasher = PINHasher(salt: salt, pepper: pinPepper)
    }

    deinit {
        pool.close()
    }

    /// Closes the connections and the store's thread. The store answers no more calls.
    public func close() {
        pool.close()
    }

    /// Names of the migrations applied to the database, in order.
    public func appliedMigrations() throws -> [String] {
        try read { db in try PostgresMigrations.appliedNames(db) }
    }

    // MARK: - Running SQL

    /// How much of other transactions' work a transaction may see (PostgreSQL's levels).
    enum Isolation: String {
        case readCommitted = "READ COMMITTED"
        case repeatableRead = "REPEATABLE READ"
        case serializable = "SERIALIZABLE"
    }

    /// Runs `body` in one transaction: BEGIN, COMMIT when it returns, ROLLBACK when it
    /// throws. A serialization failure (40001) or deadlock (40P01) runs the whole body
    /// again, at most `transactionAttempts` times, after a short random pause, so two
    /// nodes colliding on a row both finish. `body` must therefore only touch the database.
    @discardableResult
    func transaction<T>(_ isolation: Isolation = .readCommitted, _ body: (PostgresSession) throws -> T) throws -> T {
        var attempt = 1
        while true {
            do {
                return try pool.withSession { session in
                    try session.execute(PostgresQuery(unsafeSQL: "BEGIN ISOLATION LEVEL \(isolation.rawValue)"))
                    do {
                        let result = try body(session)
                        try session.execute("COMMIT")
                        return result
                    } catch {
                        // A broken connection cannot roll back; the pool drops it at check-in.
                        _ = try? session.execute("ROLLBACK")
                        throw error
                    }
                }
            } catch let error as StoreError where error.isTransactionConflict && attempt < Self.transactionAttempts {
                attempt += 1
                Thread.sleep(forTimeInterval: Double.random(in: 0.002...0.02) * Double(attempt))
            }
        }
    }

    /// Runs `body` on a connection outside an explicit transaction: each statement commits
    /// on its own (reads, and single-statement writes).
    @discardableResult
    func read<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try pool.withSession(body)
    }
}

extension StoreError {
    /// A conflict PostgreSQL resolves by aborting one transaction, which may simply run again.
    var isTransactionConflict: Bool {
        if case .databaseFailed(let state, _) = self { return state == "40001" || state == "40P01" }
        return false
    }
}
