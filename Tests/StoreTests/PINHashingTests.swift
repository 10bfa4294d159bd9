import Foundation
import GRDB
@testable import Store
import XCTest

/// Issue 11, PINs: a salt per account and a pepper outside the database; PIN lookup
/// through a 16-bit bucket, never every account; pre-v6 hashes stay verifiable and are
/// rehashed at the next login (migration "v6-pin-salt (h-trust)").
final class PINHashingTests: StoreBackendTestCase {
    func testEachAccountHasItsOwnSaltAndTheHashNeedsThePepper() throws {
        try onEachBackend { store in
            let pinHasher = try XCTUnwrap(Self.pinHasher(of: store))
            let alice = try store.makeAccount("alice", balance: "1", pin: "24681357")
            let bob = try store.makeAccount("bob", balance: "1", pin: "24681358")
            XCTAssertNotNil(alice.pinSalt)
            XCTAssertNotEqual(alice.pinSalt, bob.pinSalt, "a salt per account")
            XCTAssertEqual(alice.pinBucket?.count, PINHasher.bucketDigits)
            // The same PIN under another pepper gives another hash: the database alone is not enough.
            let otherPepper = PINHasher(salt: pinHasher.legacySalt, pepper: Array(repeating: 7, count: 32))
            XCTAssertNotEqual(try otherPepper.hash("24681357", accountSalt: alice.pinSalt!), alice.pinHash)
            XCTAssertEqual(try pinHasher.hash("24681357", accountSalt: alice.pinSalt!), alice.pinHash)
            guard case .authenticated(let found) = try store.authenticate(pin: "24681357") else { return XCTFail("right PIN") }
            XCTAssertEqual(found.login, "alice")
            XCTAssertTrue(try store.verifyPIN("24681358", account: bob.id!))
            XCTAssertFalse(try store.verifyPIN("24681357", account: bob.id!))
            XCTAssertThrowsError(try store.makeAccount("carol", balance: "1", pin: "24681357")) {
                XCTAssertEqual($0 as? StoreError, .pinTaken, "PINs identify accounts: still unique")
            }
        }
    }

    /// A row hashed the pre-v6 way (the database-wide salt) logs in and is rehashed.
    func testPreV6HashesStayVerifiableAndAreRehashedOnLogin() throws {
        let store = try SQLiteStore.inMemory(passwordHasher: fastHasher)
        let old = try store.makeAccount("old", balance: "1")
        let other = try store.makeAccount("other", balance: "1")
        let legacy = try store.pinHasher.hash("11223344")
        try store.writer.write { db in
            try db.execute(sql: "UPDATE account SET pinHash = ?, pinSalt = NULL, pinBucket = NULL WHERE id IN (?, ?)",
                           arguments: [legacy, old.id, -1])
            try db.execute(sql: "UPDATE account SET pinHash = ?, pinSalt = NULL, pinBucket = NULL WHERE id = ?",
                           arguments: [try store.pinHasher.hash("55667788"), other.id])
        }
        XCTAssertThrowsError(try store.makeAccount("dup", balance: "1", pin: "11223344"), "a pre-v6 PIN is taken too")
        guard case .authenticated(let found) = try store.authenticate(pin: "11223344") else { return XCTFail("pre-v6 PIN") }
        XCTAssertEqual(found.login, "old")
        XCTAssertNotNil(found.pinSalt, "rehashed with a salt of its own at login")
        XCTAssertNotEqual(found.pinHash, legacy)
        XCTAssertEqual(try store.authenticate(pin: "11223344"), .authenticated(found), "and still logs in")
        XCTAssertTrue(try store.verifyPIN("55667788", account: other.id!), "verifyPIN takes pre-v6 hashes too")
        XCTAssertNotNil(try store.account(id: other.id!)?.pinSalt, "and rehashes them")
        XCTAssertEqual(try store.authenticate(pin: "99999999"), .rejected)
    }

    func testThePepperFileIsCreatedPrivateBesideTheDataDirectoryAndReused() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data", isDirectory: true)
        let first = try SQLiteStore(dataDirectory: data, passwordHasher: fastHasher)
        let pepperFile = root.appendingPathComponent("data.pin-pepper")
        XCTAssertEqual(PINPepper.defaultFile(forDataDirectory: data).path, pepperFile.path)
        let attributes = try FileManager.default.attributesOfItem(atPath: pepperFile.path)
        XCTAssertEqual((attributes[.posixPermissions] as? Int).map { $0 & 0o777 }, 0o600)
        XCTAssertFalse(FileManager.default.fileExists(atPath: data.appendingPathComponent("data.pin-pepper").path),
                       "outside the data directory")
        _ = try first.makeAccount("alice", balance: "1", pin: "13572468")
        let second = try SQLiteStore(dataDirectory: data, passwordHasher: fastHasher)
        XCTAssertEqual(second.pinHasher.pepper, first.pinHasher.pepper)
        guard case .authenticated = try second.authenticate(pin: "13572468") else { return XCTFail("same pepper, same PIN") }

        // A lost pepper: the PINs no longer log in (and nothing else breaks).
        try FileManager.default.removeItem(at: pepperFile)
        let third = try SQLiteStore(dataDirectory: data, passwordHasher: fastHasher)
        XCTAssertEqual(try third.authenticate(pin: "13572468"), .rejected)

        // A pepper others can read is refused, naming the file.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: pepperFile.path)
        XCTAssertThrowsError(try SQLiteStore(dataDirectory: data, passwordHasher: fastHasher)) {
            XCTAssertTrue("\($0)".contains("chmod 600 \(pepperFile.path)"), "\($0)")
        }
        let explicit = root.appendingPathComponent("secrets/pepper")
        _ = try SQLiteStore(dataDirectory: root.appendingPathComponent("other"), passwordHasher: fastHasher,
                            pinPepperFile: explicit)
        XCTAssertTrue(FileManager.default.fileExists(atPath: explicit.path), "secrets.pin-pepper-file")
    }

    func testPINFailuresCountPerSourceAndGloballyAndOldRowsArePruned() throws {
        try onEachBackend { store in
            for index in 0..<5 {
                try store.recordPINFailure(callerID: "49\(index)", account: nil, source: "198.51.100.7", at: at(Double(index)))
            }
            try store.recordPINFailure(callerID: "anonymous", account: nil, source: "203.0.113.1", at: at(10))
            let counts = try store.pinFailureCounts(callerID: "anonymous", account: nil, source: "198.51.100.7", since: at(0))
            XCTAssertEqual(counts, PINFailureCounts(callerID: 1, account: 0, source: 5, global: 6))
            XCTAssertEqual(try store.prunePINFailures(before: at(3)), 3)
            XCTAssertEqual(try store.pinFailureCounts(callerID: nil, account: nil, source: nil, since: at(0)).global, 3)
        }
    }

    /// The store's keyed PIN hasher, whichever backend it is.
    static func pinHasher(of store: any TestedStore) -> PINHasher? {
        switch store {
        case let sqlite as SQLiteStore: return sqlite.pinHasher
        case let postgres as PostgresStore: return postgres.pinHasher
        default: return nil
        }
    }
}
