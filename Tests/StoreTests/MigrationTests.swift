import Foundation
import GRDB
import XCTest
@testable import Store

final class MigrationTests: XCTestCase {
    func testOpeningADataDirectoryCreatesAndMigratesTheFile() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let dataDirectory = root.appendingPathComponent("nested/data", isDirectory: true)
        let store = try SQLiteStore(dataDirectory: dataDirectory, passwordHasher: fastHasher)
        let file = dataDirectory.appendingPathComponent("switchback.sqlite").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: file))
        XCTAssertEqual(try store.appliedMigrations(), ["v1 accounts, rates, billing, CDRs, callback queue", "v2 forward mode",
                                                       "v3 PIN lockout", "v4 callback states",
                                                       "v5 blocked prefixes", "v6 call leg granted seconds",
                                                       "v7 trigger names", "v8 PIN salt and source",
                                                       "v9 SMS outbox and activity", "v10 callback events",
                                                       "v11 registration bindings", "v12 registration path",
                                                       "v13 nodes and leases"])
        let journalMode = try store.writer.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(journalMode, "wal")
        let tables = try store.writer.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'grdb_%' ORDER BY name")
        }
        XCTAssertEqual(tables, ["account", "accountLot", "addressBookEntry", "authorisedCallerID", "callLeg",
                                "callbackEvent", "callbackRequest", "ledgerEntry", "node", "pinFailure", "rate", "ratePlan",
                                "registrationBinding", "reservation", "setting", "smsActivity", "smsOutbox",
                                "spoolOffset"])
    }

    func testReopeningKeepsDataAndThePINSalt() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            let store = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
            _ = try store.makeAccount("alice", balance: "5", pin: "123456")
        }
        let reopened = try SQLiteStore(dataDirectory: directory, passwordHasher: fastHasher)
        XCTAssertEqual(try reopened.account(login: "alice")?.balance, eur("5"))
        guard case let .authenticated(account) = try reopened.authenticate(pin: "123456") else {
            return XCTFail("PIN must still match after reopening")
        }
        XCTAssertEqual(account.login, "alice")
    }

    func testEachDatabaseGetsItsOwnPINSalt() throws {
        let first = try SQLiteStore.inMemory(passwordHasher: fastHasher)
        let second = try SQLiteStore.inMemory(passwordHasher: fastHasher)
        XCTAssertNotEqual(first.pinHasher.legacySalt, second.pinHasher.legacySalt)
        XCTAssertEqual(first.pinHasher.legacySalt.count, 32)
    }
}

final class StoreProtocolTests: XCTestCase {
    /// Switchboard and Web hold the store as protocols; the SQLite store is all of them.
    func testSQLiteStoreServesEveryStoreProtocol() throws {
        let store: any SwitchbackStore = try SQLiteStore.inMemory(passwordHasher: fastHasher)
        let account = try store.createAccount(NewAccount(login: "alice", password: "p", sipRealm: "r", initialBalance: eur("1")), at: at(0))
        XCTAssertEqual(try store.freeBalance(account: account.id!), eur("1"))
        XCTAssertEqual(try store.ratePlans(), [])
        XCTAssertEqual(try store.callLegs(since: nil, account: nil), [])
        XCTAssertEqual(try store.spoolOffset(path: "x"), 0)
    }
}
