import Foundation
import PostgresTestSupport
import XCTest
@testable import Store

/// The PostgreSQL schema: the same named migrations as SQLite's, applied once, again
/// without effect, and by one of two nodes starting together; a down database is a clear
/// error naming the URL without its password.
final class PostgresMigrationTests: XCTestCase {
    private var stores: [PostgresStore] = []

    override func tearDown() {
        for store in stores { store.close() }
        stores = []
        super.tearDown()
    }

    private func open(_ url: PostgresURL) throws -> PostgresStore {
        let store = try PostgresStore(url: url, passwordHasher: fastHasher, pinPepper: randomPepper(), poolSize: 2)
        stores.append(store)
        return store
    }

    func testAFreshDatabaseGetsEveryMigrationNamedAsSQLitesOnce() throws {
        let url = try PostgresTestDatabases.emptyDatabase()
        let store = try open(url)
        let sqliteNames = try SQLiteStore.inMemory(passwordHasher: fastHasher).appliedMigrations()
        XCTAssertEqual(try store.appliedMigrations(), sqliteNames, "same names, same order")
        XCTAssertEqual(sqliteNames.count, 13)
        let reopened = try open(url)
        XCTAssertEqual(try reopened.appliedMigrations(), sqliteNames, "opening again applies nothing new")
        let rows = try reopened.read { db in try db.scalar("SELECT count(*) FROM schemaMigration", as: Int64.self) }
        XCTAssertEqual(rows, 13, "each migration recorded once")
        let salts = try reopened.read { db in try db.scalar("SELECT count(*) FROM setting WHERE key = 'pinSalt'", as: Int64.self) }
        XCTAssertEqual(salts, 1, "the PIN salt is made once")
        XCTAssertEqual(store.pinHasher.legacySalt, reopened.pinHasher.legacySalt)
    }

    func testTwoNodesStartingTogetherMigrateOnce() throws {
        let url = try PostgresTestDatabases.emptyDatabase()
        let results = StartResults()
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            do {
                let store = try PostgresStore(url: url, passwordHasher: fastHasher, pinPepper: randomPepper(), poolSize: 1)
                results.append(.success(try store.appliedMigrations()))
                store.close()
            } catch {
                results.append(.failure(error))
            }
        }
        let outcomes = results.values
        XCTAssertEqual(outcomes.count, 4)
        for outcome in outcomes {
            switch outcome {
            case .success(let names): XCTAssertEqual(names.count, 13)
            case .failure(let error): XCTFail("a node failed to start: \(error)")
            }
        }
        let store = try open(url)
        let rows = try store.read { db in try db.scalar("SELECT count(*) FROM schemaMigration", as: Int64.self) }
        XCTAssertEqual(rows, 13)
    }

    func testADownDatabaseIsAClearErrorWithoutThePassword() throws {
        let port = try PostgresTestServer.freePort()
        let url = try PostgresURL(parsing: "postgresql://switchback:hunter2@127.0.0.1:\(port)/switchback")
        let started = Date()
        XCTAssertThrowsError(try PostgresStore(url: url, pinPepper: randomPepper(), connectTimeout: 2)) { error in
            guard case .databaseUnavailable(let shown, let reason)? = error as? StoreError else {
                return XCTFail("expected databaseUnavailable, got \(error)")
            }
            XCTAssertEqual(shown, "postgresql://switchback@127.0.0.1:\(port)/switchback")
            XCTAssertFalse("\(error)".contains("hunter2"), "\(error)")
            XCTAssertFalse(reason.isEmpty)
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 10, "no hang")
    }

    func testATransactionRollsBackOnErrorAndCommitsOtherwise() throws {
        let store = try open(try PostgresTestDatabases.freshDatabase())
        struct Refused: Error {}
        XCTAssertThrowsError(try store.transaction { db in
            try db.execute("INSERT INTO setting (key, value) VALUES ('probe', 'rolled back')")
            throw Refused()
        })
        XCTAssertNil(try store.read { db in try db.scalar("SELECT value FROM setting WHERE key = 'probe'", as: String.self) })
        try store.transaction { db in try db.execute("INSERT INTO setting (key, value) VALUES ('probe', 'kept')") }
        XCTAssertEqual(try store.read { db in try db.scalar("SELECT value FROM setting WHERE key = 'probe'", as: String.self) },
                       "kept")
        XCTAssertThrowsError(try store.transaction { db in
            try db.execute("INSERT INTO setting (key, value) VALUES ('probe', 'again')")
        }) { error in
            XCTAssertTrue((error as? StoreError)?.isUniqueViolation == true, "\(error)")
        }
    }

    /// Two transactions that each lock one row then want the other's: PostgreSQL aborts
    /// one with a deadlock, and the helper runs it again, so both finish.
    func testADeadlockedTransactionIsRetriedAndBothFinish() throws {
        let store = try open(try PostgresTestDatabases.freshDatabase())
        try store.transaction { db in
            try db.execute("INSERT INTO setting (key, value) VALUES ('a', '0'), ('b', '0')")
        }
        let attempts = AttemptCounter()
        let results = StartResults()
        let order = [("a", "b"), ("b", "a")]
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let (first, second) = order[index]
            do {
                try store.transaction { db in
                    attempts.increment()
                    try db.execute("UPDATE setting SET value = (value::int + 1)::text WHERE key = \(first)")
                    Thread.sleep(forTimeInterval: 0.3)
                    try db.execute("UPDATE setting SET value = (value::int + 1)::text WHERE key = \(second)")
                }
                results.append(.success([]))
            } catch {
                results.append(.failure(error))
            }
        }
        for outcome in results.values {
            if case .failure(let error) = outcome { XCTFail("\(error)") }
        }
        XCTAssertGreaterThanOrEqual(attempts.value, 3, "one of them ran again")
        let values = try store.read { db in
            try db.query("SELECT value FROM setting WHERE key IN ('a', 'b') ORDER BY key")
                .map { try PostgresSession.decode($0, as: String.self) }
        }
        XCTAssertEqual(values, ["2", "2"], "each transaction counted once")
    }

    func testURLsAreParsedAndMalformedOnesExplained() throws {
        let url = try PostgresURL(parsing: "postgresql://sb:p%40ss@db.example:6543/switchback")
        XCTAssertEqual(url, PostgresURL(user: "sb", password: "p@ss", host: "db.example", port: 6543, database: "switchback"))
        XCTAssertEqual(url.redacted, "postgresql://sb@db.example:6543/switchback")
        XCTAssertEqual(try PostgresURL(parsing: "postgres://sb@localhost/x").port, 5432)
        for bad in ["mysql://u@h/db", "postgresql://h/db", "postgresql://u@h", "postgresql://u@h:99999/db",
                    "postgresql://u@h/db?sslmode=require", "not a url"] {
            XCTAssertThrowsError(try PostgresURL(parsing: bad), bad) {
                XCTAssertTrue("\($0)".contains("expected postgresql://user[:password]@host[:port]/dbname"), "\($0)")
            }
        }
    }
}

private final class StartResults: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<[String], any Error>] = []

    func append(_ result: Result<[String], any Error>) {
        lock.lock()
        stored.append(result)
        lock.unlock()
    }

    var values: [Result<[String], any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}

private final class AttemptCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0

    func increment() {
        lock.lock()
        count += 1
        lock.unlock()
    }

    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}
