import Foundation
import PostgresTestSupport
import XCTest
@testable import Store

/// What is PostgreSQL's own: connections that break are replaced, the callback event
/// triggers, the pre-v6 PIN rehash through SQL, and several stores on one database.
final class PostgresStoreTests: StoreBackendTestCase {
    func testBrokenConnectionsAreReplacedOnTheNextCall() throws {
        let store = try makePostgresStore()
        let alice = try store.makeAccount("alice", balance: "1")
        // The server ends every session of this database (a restart, a network cut).
        try PostgresTestServer.shared().psql("""
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = '\(store.url.database)' AND pid <> pg_backend_pid()
            """)
        Thread.sleep(forTimeInterval: 0.2)
        var answered: Account?
        for _ in 0..<2 {
            // A connection may learn of the cut only on its first query; the one after works.
            answered = try? store.account(id: alice.id!)
            if answered != nil { break }
        }
        XCTAssertEqual(answered?.login, "alice")
        XCTAssertEqual(try store.account(login: "alice")?.id, alice.id)
    }

    func testTheCallbackEventTriggersRecordEachMove() throws {
        let store = try makePostgresStore()
        let alice = try store.makeAccount("alice", balance: "1").id!
        let destinations = try CallbackRequest.pgDestinations(["4930222"])
        let id = try store.transaction { db in
            try XCTUnwrap(try db.scalar("""
                INSERT INTO callbackRequest (accountID, campaign, trigger, originNumber, destinations, notBefore, state,
                                             createdAt, updatedAt)
                VALUES (\(alice), 'web-callback', 'api', '4930111', \(destinations), \(at(0)), 'queued', \(at(0)), \(at(0)))
                RETURNING id
                """, as: Int64.self))
        }
        try store.transaction { db in
            try db.execute("UPDATE callbackRequest SET state = 'calling-a', attempts = 1, updatedAt = \(at(1)) WHERE id = \(id)")
            try db.execute("UPDATE callbackRequest SET claimedBy = 'node-2' WHERE id = \(id)")   // no move, no event
            try db.execute("""
                UPDATE callbackRequest SET state = 'queued', lastError = 'busy', updatedAt = \(at(2)) WHERE id = \(id)
                """)
        }
        let events = try store.callbackEvents(request: id, after: nil)
        XCTAssertEqual(events.map(\.state), [.queued, .callingA, .queued])
        XCTAssertEqual(events.map(\.fromState), [nil, .queued, .callingA])
        XCTAssertEqual(events.map(\.error), [nil, nil, "busy"])
        XCTAssertEqual(events.map(\.attempt), [0, 1, 1])
        XCTAssertEqual(events.map(\.at), [at(0), at(1), at(2)])
        XCTAssertEqual(try store.callbackEvents(request: id, after: events[0].id).count, 2)
        let requests = try store.callbackRequests(account: alice, limit: 5)
        XCTAssertEqual(requests.map(\.destinations), [["4930222"]])
        XCTAssertEqual(requests.first?.trigger, .api)
        XCTAssertEqual(requests.first?.claimedBy, "node-2")
    }

    func testPreV6PINHashesAreVerifiedAndRehashed() throws {
        let store = try makePostgresStore()
        let old = try store.makeAccount("old", balance: "1")
        let legacy = try store.pinHasher.hash("11223344")
        try store.transaction { db in
            try db.execute("UPDATE account SET pinHash = \(legacy), pinSalt = NULL, pinBucket = NULL WHERE id = \(old.id!)")
        }
        XCTAssertThrowsError(try store.makeAccount("dup", balance: "1", pin: "11223344")) {
            XCTAssertEqual($0 as? StoreError, .pinTaken, "a pre-v6 PIN is taken too")
        }
        guard case .authenticated(let found) = try store.authenticate(pin: "11223344") else { return XCTFail("pre-v6 PIN") }
        XCTAssertEqual(found.login, "old")
        XCTAssertNotNil(found.pinSalt, "rehashed with a salt of its own")
        XCTAssertNotEqual(found.pinHash, legacy)
        XCTAssertEqual(try store.authenticate(pin: "11223344"), .authenticated(found))
    }

    /// Two nodes on one database see each other's writes, and the PIN pepper decides
    /// whether a PIN made on one logs in on the other.
    func testTwoStoresOnOneDatabaseShareAccountsAndNeedTheSamePepper() throws {
        let pepper = randomPepper()
        let first = try PostgresStore(url: try PostgresTestDatabases.freshDatabase(), passwordHasher: fastHasher,
                                      pinPepper: pepper, poolSize: 2)
        defer { first.close() }
        let second = try reopen(first, pinPepper: pepper)
        let other = try reopen(first)
        _ = try first.makeAccount("alice", balance: "2", pin: "97531")
        XCTAssertEqual(try second.account(login: "alice")?.balance, eur("2"))
        guard case .authenticated = try second.authenticate(pin: "97531") else { return XCTFail("same pepper") }
        XCTAssertEqual(try other.authenticate(pin: "97531"), .rejected, "another pepper cannot find the PIN")
        try second.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("33", "0.1")], at: at(0))
        XCTAssertEqual(try first.ratePlan(named: "p")?.table.count, 1)
        try second.importRates(plan: "p", currency: "EUR", chargesALeg: false, rates: [rate("33", "0.1"), rate("34", "0.2")],
                               at: at(1))
        XCTAssertEqual(try first.ratePlan(named: "p")?.table.count, 2, "the other node's cache notices the import")
    }

    /// Concurrent credits on one account from two stores: the row lock orders them, so the
    /// ledger's running balance has no gaps and the sum is exact.
    func testConcurrentCreditsFromTwoNodesAreAllBooked() throws {
        let first = try makePostgresStore()
        let second = try reopen(first)
        let id = try first.makeAccount("alice", balance: "0").id!
        DispatchQueue.concurrentPerform(iterations: 40) { index in
            let store = index.isMultiple(of: 2) ? first : second
            _ = try? store.credit(account: id, amount: eur("0.01"), note: nil, at: at(Double(index)))
        }
        XCTAssertEqual(try first.account(id: id)?.balance, eur("0.40"))
        let ledger = try second.ledger(account: id)
        XCTAssertEqual(ledger.count, 40)
        XCTAssertEqual(ledger.map(\.balanceAfterMinorUnits).sorted(), (1...40).map { Int64($0) * 100 })
    }

    /// Two nodes opening the same login, or authorising the same caller ID, at once: one
    /// wins and the other gets the error it would get one after the other.
    func testRacingNodesGetTheSameErrorsAsOneAfterTheOther() throws {
        let first = try makePostgresStore()
        let second = try reopen(first)
        let outcomes = LoginOutcomes()
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let store = index.isMultiple(of: 2) ? first : second
            do {
                _ = try store.makeAccount("racer", balance: "1")
                outcomes.record("created")
            } catch {
                outcomes.record((error as? StoreError) == .loginTaken("racer") ? "taken" : "\(error)")
            }
        }
        XCTAssertEqual(outcomes.values.sorted(), ["created"] + Array(repeating: "taken", count: 7))
        XCTAssertEqual(try first.accounts(lot: nil).map(\.login), ["racer"])

        let racer = try XCTUnwrap(first.account(login: "racer")?.id)
        DispatchQueue.concurrentPerform(iterations: 6) { index in
            let store = index.isMultiple(of: 2) ? first : second
            do {
                _ = try store.authoriseCallerID("4930999", account: racer, at: at(0))
                outcomes.record("authorised")
            } catch {
                outcomes.record("\(error)")
            }
        }
        XCTAssertEqual(outcomes.values.filter { $0 != "created" && $0 != "taken" }, Array(repeating: "authorised", count: 6),
                       "authorising a number again for its own account is idempotent, even racing")
        XCTAssertEqual(try first.callerIDs(account: racer).map(\.number), ["4930999"])
    }
}

private final class LoginOutcomes: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [String] = []

    func record(_ outcome: String) {
        lock.lock()
        stored.append(outcome)
        lock.unlock()
    }

    var values: [String] {
        lock.lock()
        defer { lock.unlock() }
        return stored
    }
}
