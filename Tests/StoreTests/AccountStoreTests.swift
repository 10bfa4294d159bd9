import Billing
import Foundation
import GRDB
import XCTest
@testable import Store

final class AccountStoreTests: StoreBackendTestCase {
    func testCreatesAccountsWithHashedSecretsAndAnInitialLedgerEntry() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "12.5", pin: "4321")
            XCTAssertEqual(alice.balance, eur("12.5"))
            XCTAssertFalse(alice.passwordHash.contains("secret-alice"))
            XCTAssertTrue(alice.passwordHash.hasPrefix("pbkdf2-sha256$1000$"))
            XCTAssertNotEqual(alice.pinHash, "4321")
            XCTAssertEqual(alice.sipHA1, SIPDigestHA1.md5(login: "alice", realm: "switchback.local", password: "secret-alice"))
            let ledger = try store.ledger(account: alice.id!)
            XCTAssertEqual(ledger.map(\.kind), [.initial])
            XCTAssertEqual(ledger.first?.amount, eur("12.5"))
            XCTAssertThrowsError(try store.makeAccount("alice", balance: "1")) {
                XCTAssertEqual($0 as? StoreError, .loginTaken("alice"))
            }
            XCTAssertThrowsError(try store.makeAccount("bob", balance: "1", pin: "4321")) {
                XCTAssertEqual($0 as? StoreError, .pinTaken)
            }
            XCTAssertThrowsError(try store.makeAccount("bad login", balance: "1"))
            XCTAssertThrowsError(try store.makeAccount("carol", balance: "1", pin: "12a4"))
            XCTAssertThrowsError(try store.makeAccount("dave", balance: "1", plan: "missing")) {
                XCTAssertEqual($0 as? StoreError, .unknownRatePlan("missing"))
            }
        }
    }

    /// The SQLite store runs these lookups through statements prepared once per connection
    /// and rebound on every call (issue 19): each call must see its own arguments, also
    /// right after a call that found nothing.
    func testAccountsArePagedByLoginAndFoundByAnExactPrefix() throws {
        try onEachBackend { store in
            for login in ["card-003", "card-001", "card-002", "cardx", "Card-9", "alice", "a_b"] {
                _ = try store.makeAccount(login, balance: "1")
            }
            let cards = try store.accountPage(loginPrefix: "card-", offset: 0, limit: 2)
            XCTAssertEqual(cards.total, 3, "case-sensitive: Card-9 is not card-")
            XCTAssertEqual(cards.items.map(\.login), ["card-001", "card-002"])
            XCTAssertEqual(try store.accountPage(loginPrefix: "card-", offset: 2, limit: 2).items.map(\.login), ["card-003"])
            XCTAssertEqual(try store.accountPage(loginPrefix: "a_", offset: 0, limit: 10).items.map(\.login), ["a_b"],
                           "no wildcard in the prefix")
            let all = try store.accountPage(loginPrefix: nil, offset: 0, limit: 100)
            XCTAssertEqual(all.total, 7)
            XCTAssertEqual(all.items.map(\.login), ["Card-9", "a_b", "alice", "card-001", "card-002", "card-003", "cardx"],
                           "by login, byte order on both backends")
            XCTAssertEqual(try store.accountPage(loginPrefix: "", offset: 7, limit: 5), AccountPage(total: 7, items: []))
        }
    }

    func testRepeatedLookupsEachFindTheirOwnAccount() throws {
        try onEachBackend { store in
            func make(_ login: String, did: String) throws -> Account {
                try store.createAccount(NewAccount(login: login, password: "secret-\(login)", sipRealm: "switchback.local",
                                                   initialBalance: eur("1"), personalDID: did), at: at(0))
            }
            let alice = try make("alice", did: "4930111")
            let bob = try make("bob", did: "4930222")
            for _ in 0..<2 {
                XCTAssertEqual(try store.account(login: "alice")?.id, alice.id)
                XCTAssertNil(try store.account(login: "nobody"))
                XCTAssertEqual(try store.account(login: "bob")?.id, bob.id)
                XCTAssertEqual(try store.account(personalDID: "4930222")?.login, "bob")
                XCTAssertNil(try store.account(personalDID: "4930333"))
                XCTAssertEqual(try store.account(personalDID: "4930111")?.login, "alice")
                XCTAssertEqual(try store.account(id: bob.id!)?.login, "bob")
                XCTAssertEqual(try store.account(id: alice.id!)?.login, "alice")
                XCTAssertNil(try store.account(id: 9_999))
            }
        }
    }

    func testHA1MatchesTheRFC2617Example() {
        // RFC 2617 §3.5: Mufasa / testrealm@host.com / "Circle Of Life".
        XCTAssertEqual(SIPDigestHA1.md5(login: "Mufasa", realm: "testrealm@host.com", password: "Circle Of Life"),
                       "939e7578ed9e3c518a452acee763bce9")
        // RFC 7616 §3.9.1 (SHA-256, "Circle of Life" lower-case "of").
        XCTAssertEqual(SIPDigestHA1.sha256(login: "Mufasa", realm: "http-auth@example.org", password: "Circle of Life"),
                       "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232")
    }

    func testAuthenticatesByPasswordPINAndRefusesLockedAccounts() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "1", pin: "13579")
            guard case .authenticated = try store.authenticate(login: "alice", password: "secret-alice") else {
                return XCTFail("right password")
            }
            XCTAssertEqual(try store.authenticate(login: "alice", password: "wrong"), .rejected)
            XCTAssertEqual(try store.authenticate(login: "nobody", password: "secret-alice"), .rejected)
            guard case let .authenticated(byPIN) = try store.authenticate(pin: "13579") else { return XCTFail("right PIN") }
            XCTAssertEqual(byPIN.id, alice.id)
            XCTAssertEqual(try store.authenticate(pin: "13578"), .rejected)
            XCTAssertTrue(try store.verifyPIN("13579", account: alice.id!))
            XCTAssertFalse(try store.verifyPIN("00000", account: alice.id!))
            try store.setState(.locked, account: alice.id!)
            guard case .locked = try store.authenticate(login: "alice", password: "secret-alice") else { return XCTFail("locked") }
            guard case .locked = try store.authenticate(pin: "13579") else { return XCTFail("locked") }
        }
    }

    func testStandardPasswordHashUsesTheFullRoundCount() throws {
        let hash = try PasswordHasher.standard.hash("correct horse")
        XCTAssertTrue(hash.hasPrefix("pbkdf2-sha256$210000$"))
        XCTAssertTrue(PasswordHasher.standard.verify("correct horse", against: hash))
        XCTAssertFalse(PasswordHasher.standard.verify("correct horse!", against: hash))
        XCTAssertFalse(PasswordHasher.standard.verify("correct horse", against: "garbage"))
        XCTAssertNotEqual(try fastHasher.hash("x"), try fastHasher.hash("x"), "salted")
    }

    func testCreditAndDebitWriteTheLedger() throws {
        try onEachBackend { store in
            let id = try store.makeAccount("alice", balance: "10").id!
            let credit = try store.credit(account: id, amount: eur("2.5"), note: "top-up", at: at(10))
            XCTAssertEqual(credit.balanceAfter, eur("12.5"))
            let debit = try store.debit(account: id, amount: eur("0.0001"), note: nil, at: at(20))
            XCTAssertEqual(debit.amount, eur("-0.0001"))
            XCTAssertEqual(try store.account(id: id)?.balance, eur("12.4999"))
            XCTAssertEqual(try store.ledger(account: id).map(\.kind), [.initial, .credit, .debit])
            XCTAssertThrowsError(try store.credit(account: id, amount: eur("0"), note: nil, at: at(30)))
            XCTAssertThrowsError(try store.credit(account: id, amount: try Money.parse("1", currency: "USD"), note: nil, at: at(30))) {
                XCTAssertEqual($0 as? StoreError, .currencyMismatch(expected: "EUR", found: "USD"))
            }
            XCTAssertThrowsError(try store.credit(account: 999, amount: eur("1"), note: nil, at: at(30)))
        }
    }

    func testALotIsCreatedWhollyOrNotAtAll() throws {
        try onEachBackend { store in
            _ = try store.makeAccount("card-taken", balance: "0")
            let batch = ["card-1", "card-2", "card-taken"].map {
                NewAccount(login: $0, password: "pw", sipRealm: "r", initialBalance: eur("5"))
            }
            XCTAssertThrowsError(try store.createLot(named: "lot-1", accounts: batch, at: at(0))) {
                XCTAssertEqual($0 as? StoreError, .loginTaken("card-taken"))
            }
            XCTAssertNil(try store.account(login: "card-1"))
            XCTAssertEqual(try store.lots(), [])
            let (lot, accounts) = try store.createLot(named: "lot-1", accounts: Array(batch.prefix(2)), at: at(0))
            XCTAssertEqual(lot.size, 2)
            XCTAssertEqual(accounts.map(\.lotID), [lot.id, lot.id])
            XCTAssertEqual(try store.accounts(lot: "lot-1").map(\.login), ["card-1", "card-2"])
            XCTAssertEqual(try store.accounts(lot: nil).count, 3)
            XCTAssertThrowsError(try store.createLot(named: "lot-1", accounts: [], at: at(0)))
        }
    }

    // MARK: - Forwarding (issue 5, forward and fork)

    func testNewAccountsForwardOnNoAnswerAfterTwentySecondsUnlessTold() throws {
        try onEachBackend { store in
            let plain = try store.createAccount(NewAccount(login: "plain", password: "pw", sipRealm: "r", initialBalance: eur("1")),
                                                at: at(0))
            XCTAssertEqual(plain.forwardMode, .noAnswer)
            XCTAssertEqual(plain.forwardAfterSeconds, 20)
            let forked = try store.createAccount(NewAccount(login: "forked", password: "pw", sipRealm: "r", initialBalance: eur("1"),
                                                            forwardNumber: "+4930123", forwardMode: .fork, forwardAfterSeconds: 7),
                                                 at: at(0))
            let read = try XCTUnwrap(try store.account(login: "forked"))
            XCTAssertEqual(read, forked)
            XCTAssertEqual(read.forwardNumber, "+4930123")
            XCTAssertEqual(read.forwardMode, .fork)
            XCTAssertEqual(read.forwardAfterSeconds, 7)
        }
    }

    func testSetForwardingChangesOnlyTheForwardingAndRefusesBadValues() throws {
        try onEachBackend { store in
            let alice = try store.makeAccount("alice", balance: "3")
            let updated = try store.setForwarding(number: "4930777", mode: .unregistered, afterSeconds: 12, account: alice.id!)
            XCTAssertEqual(updated.forwardNumber, "4930777")
            XCTAssertEqual(updated.forwardMode, .unregistered)
            XCTAssertEqual(updated.forwardAfterSeconds, 12)
            var expected = alice
            expected.forwardNumber = "4930777"
            expected.forwardMode = .unregistered
            expected.forwardAfterSeconds = 12
            XCTAssertEqual(try store.account(id: alice.id!), expected, "balance, secrets and the rest are untouched")

            let cleared = try store.setForwarding(number: nil, mode: .none, afterSeconds: 20, account: alice.id!)
            XCTAssertNil(cleared.forwardNumber)
            XCTAssertEqual(cleared.forwardMode, ForwardMode.none)

            XCTAssertThrowsError(try store.setForwarding(number: "49 30", mode: .fork, afterSeconds: 20, account: alice.id!)) {
                XCTAssertTrue("\($0)".contains("49 30"), "the error names the value: \($0)")
            }
            XCTAssertThrowsError(try store.setForwarding(number: "4930", mode: .fork, afterSeconds: 0, account: alice.id!)) {
                XCTAssertTrue("\($0)".contains("forward-after 0"), "\($0)")
            }
            XCTAssertThrowsError(try store.setForwarding(number: "4930", mode: .fork, afterSeconds: 601, account: alice.id!))
            XCTAssertThrowsError(try store.setForwarding(number: "4930", mode: .fork, afterSeconds: 5, account: 9999)) {
                XCTAssertEqual($0 as? StoreError, .unknownAccount("#9999"))
            }
            XCTAssertThrowsError(try store.createAccount(NewAccount(login: "bob", password: "pw", sipRealm: "r", initialBalance: eur("1"),
                                                                    forwardNumber: "abc"), at: at(0)))
            XCTAssertEqual(try store.account(id: alice.id!)?.forwardMode, ForwardMode.none, "a refused change leaves the row as it was")
        }
    }

    /// A database made before "v2 forward mode" keeps its accounts: they get the default
    /// mode and ring time, and the schema refuses modes it does not know.
    func testTheForwardModeMigrationGivesExistingAccountsTheDefaults() throws {
        let queue = try DatabaseQueue()
        try StoreMigrations.migrator.migrate(queue, upTo: "v1 accounts, rates, billing, CDRs, callback queue")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO account (login, passwordHash, sipRealm, sipHA1, sipHA1SHA256, balanceMinorUnits, currency,
                                     forwardNumber, state, createdAt)
                VALUES ('old', 'h', 'r', 'a', 'b', 0, 'EUR', '4930123', 'active', '2026-01-01 00:00:00.000')
                """)
        }
        try StoreMigrations.migrator.migrate(queue)
        let old = try queue.read { db in try Account.filter(Account.SQLColumns.login == "old").fetchOne(db) }
        XCTAssertEqual(old?.forwardNumber, "4930123")
        XCTAssertEqual(old?.forwardMode, .noAnswer)
        XCTAssertEqual(old?.forwardAfterSeconds, 20)
        XCTAssertThrowsError(try queue.write { db in
            try db.execute(sql: "UPDATE account SET forwardMode = 'sometimes' WHERE login = 'old'")
        })
    }
}
