import Foundation
import PostgresTestSupport
import XCTest
@testable import Store

/// The two backends every Store protocol test runs on.
enum StoreBackend: String, CaseIterable, Sendable {
    case sqlite = "SQLite"
    case postgreSQL = "PostgreSQL"
}

/// The Store protocols both backends implement, what the backend-neutral tests get.
typealias TestedStore = SwitchbackStore & SMSActivityStore & SMSOutboxStore

/// A test case whose tests run on every backend: `try onEachBackend { store in … }` runs
/// the body on a fresh SQLite in memory, then on a fresh PostgreSQL database (a copy of a
/// migrated template on the process's test server). A failure names the backend it
/// happened on. (swift-corelibs-xctest does not run test methods a subclass inherits, so
/// the backends are a loop inside each test rather than a subclass per backend.)
class StoreBackendTestCase: XCTestCase {
    private var postgresStores: [PostgresStore] = []
    private var runningBackend: StoreBackend?

    /// Runs `body` once per backend, each with a fresh, migrated store.
    func onEachBackend(passwordHasher: PasswordHasher = fastHasher, _ body: (any TestedStore) throws -> Void) throws {
        for backend in StoreBackend.allCases {
            runningBackend = backend
            defer { runningBackend = nil }
            do {
                try body(try makeStore(backend, passwordHasher: passwordHasher))
            } catch {
                throw BackendFailure(backend: backend, error: error)
            }
        }
    }

    /// Runs `body` once per backend with `open`, which opens the same database again as a
    /// restarted process of the same node would (SQLite: the same data directory;
    /// PostgreSQL: a new store, node "restarting", on the same database).
    func onEachBackend(restartable body: (_ open: () throws -> any TestedStore) throws -> Void) throws {
        for backend in StoreBackend.allCases {
            runningBackend = backend
            defer { runningBackend = nil }
            do {
                switch backend {
                case .sqlite:
                    let directory = try temporaryDirectory()
                    defer { try? FileManager.default.removeItem(at: directory) }
                    try body { try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher) }
                case .postgreSQL:
                    let url = try PostgresTestDatabases.freshDatabase()
                    let pepper = randomPepper()
                    try body {
                        let store = try PostgresStore(url: url, passwordHasher: fastHasher, pinPepper: pepper, poolSize: 4,
                                                      node: "restarting")
                        self.postgresStores.append(store)
                        return store
                    }
                }
            } catch {
                throw BackendFailure(backend: backend, error: error)
            }
        }
    }

    /// A PostgresStore acting as node `node` on the database at `url` (several nodes share one).
    func makeNode(_ node: String, url: PostgresURL, poolSize: Int = 4) throws -> PostgresStore {
        let store = try PostgresStore(url: url, passwordHasher: fastHasher, pinPepper: randomPepper(), poolSize: poolSize,
                                      node: node)
        postgresStores.append(store)
        return store
    }

    /// A fresh, migrated store of `backend`, closed at the end of the test.
    func makeStore(_ backend: StoreBackend, passwordHasher: PasswordHasher = fastHasher) throws -> any TestedStore {
        switch backend {
        case .sqlite: return try SQLiteStore.inMemory(passwordHasher: passwordHasher)
        case .postgreSQL: return try makePostgresStore(passwordHasher: passwordHasher)
        }
    }

    /// A PostgresStore on a fresh database of its own, closed at the end of the test.
    func makePostgresStore(passwordHasher: PasswordHasher = fastHasher) throws -> PostgresStore {
        let store = try PostgresStore(url: try PostgresTestDatabases.freshDatabase(), passwordHasher: passwordHasher,
                                      pinPepper: randomPepper(), poolSize: 4)
        postgresStores.append(store)
        return store
    }

    /// Another store on the database of `store` (a second node, or a reopen).
    func reopen(_ store: PostgresStore, passwordHasher: PasswordHasher = fastHasher, pinPepper: [UInt8]? = nil) throws
        -> PostgresStore {
        let other = try PostgresStore(url: store.url, passwordHasher: passwordHasher, pinPepper: pinPepper ?? randomPepper(),
                                      poolSize: 4)
        postgresStores.append(other)
        return other
    }

    override func tearDown() {
        for store in postgresStores { store.close() }
        postgresStores = []
        super.tearDown()
    }

    override func recordFailure(withDescription description: String, inFile filePath: String, atLine lineNumber: Int,
                                expected: Bool) {
        let prefix = runningBackend.map { "on \($0.rawValue): " } ?? ""
        super.recordFailure(withDescription: prefix + description, inFile: filePath, atLine: lineNumber, expected: expected)
    }
}

/// An error thrown by a test body, with the backend it ran on.
struct BackendFailure: Error, CustomStringConvertible {
    var backend: StoreBackend
    var error: any Error
    var description: String { "on \(backend.rawValue): \(error)" }
}
