import ArgumentParser
import Billing
import Foundation
import Store
import XCTest
@testable import SwitchbackCLI

final class AccountsCommandTests: XCTestCase {
    func testAddWithPasswordAndPINThenAuthenticate() throws {
        let directory = try TemporaryDataDirectory()
        let output = try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "s3cret-pass", "--pin", "482139",
                                                          "--balance", "12.5", "--forward", "33612345678", "--did", "1777"], in: directory)
        XCTAssertEqual(output, "created account alice: balance 12.5000 EUR\n")
        let store = try directory.store()
        guard case let .authenticated(alice) = try store.authenticate(login: "alice", password: "s3cret-pass") else {
            return XCTFail("password must authenticate")
        }
        XCTAssertTrue(alice.passwordHash.hasPrefix("pbkdf2-sha256$210000$"), "the CLI uses the full-strength KDF")
        XCTAssertEqual(alice.balance, eur("12.5"))
        XCTAssertEqual(alice.forwardNumber, "33612345678")
        XCTAssertEqual(try store.account(personalDID: "1777")?.login, "alice")
        guard case .authenticated = try store.authenticate(pin: "482139") else { return XCTFail("PIN must authenticate") }
        XCTAssertEqual(alice.sipHA1, SIPDigestHA1.md5(login: "alice", realm: "switchback.local", password: "s3cret-pass"))
    }

    func testAddWithoutPasswordPrintsAGeneratedOneOnce() throws {
        let directory = try TemporaryDataDirectory()
        let output = try runOperatorCommand(AccountsCommand.self, ["add", "bob"], in: directory)
        let line = try XCTUnwrap(output.split(separator: "\n").first { $0.hasPrefix("password: ") })
        let password = String(line.dropFirst("password: ".count).prefix { $0 != " " })
        XCTAssertEqual(password.count, 16)
        guard case .authenticated = try directory.store().authenticate(login: "bob", password: password) else {
            return XCTFail("the printed password must work")
        }
    }

    func testAddRefusesDuplicatesAndBadAmounts() throws {
        let directory = try TemporaryDataDirectory()
        try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "p"], in: directory)
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "p"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "login \"alice\" already exists")
        }
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["add", "carol", "--password", "p", "--balance", "1,50"], in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).hasPrefix("--balance: invalid amount \"1,50\""), operatorErrorMessage($0))
        }
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["add", "dave", "--password", "p", "--plan", "gold"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "no rate plan \"gold\"")
        }
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["add", "erin", "--max-calls=-1"], in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).contains("--max-calls must not be negative"), operatorErrorMessage($0))
        }
        XCTAssertNil(try directory.store().account(login: "carol"))
    }

    func testCreditDebitLockUnlockListAndShow() throws {
        let directory = try TemporaryDataDirectory()
        try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "p", "--balance", "10"], in: directory)
        try runOperatorCommand(AccountsCommand.self, ["add", "bob", "--password", "p"], in: directory)
        XCTAssertEqual(try runOperatorCommand(AccountsCommand.self, ["credit", "alice", "2.5", "--note", "top-up"], in: directory),
                       "credited 2.5000 EUR to alice: balance 12.5000 EUR\n")
        XCTAssertEqual(try runOperatorCommand(AccountsCommand.self, ["debit", "alice", "0.0001"], in: directory),
                       "debited 0.0001 EUR from alice: balance 12.4999 EUR\n")
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["credit", "nobody", "1"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "no account nobody")
        }
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["debit", "alice", "0"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "amount must be positive, got 0.0000 EUR")
        }
        XCTAssertEqual(try runOperatorCommand(AccountsCommand.self, ["lock", "alice"], in: directory), "locked alice\n")
        guard case .locked = try directory.store().authenticate(login: "alice", password: "p") else { return XCTFail("locked") }

        let list = try runOperatorCommand(AccountsCommand.self, ["list"], in: directory).split(separator: "\n").map(String.init)
        XCTAssertEqual(list.count, 3)
        XCTAssertTrue(list[0].hasPrefix("LOGIN"))
        XCTAssertTrue(list[1].hasPrefix("alice  locked  12.4999"), list[1])
        XCTAssertTrue(list[2].hasPrefix("bob    active  0.0000"), list[2])

        try runOperatorCommand(AccountsCommand.self, ["unlock", "alice"], in: directory)
        let show = try runOperatorCommand(AccountsCommand.self, ["show", "alice"], in: directory)
        XCTAssertTrue(show.contains("state:                active"), show)
        XCTAssertTrue(show.contains("balance:              12.4999 EUR"), show)
        XCTAssertTrue(show.contains("initial  10.0000"), show)
        XCTAssertTrue(show.contains("credit   2.5000   12.5000  top-up"), show)
        XCTAssertTrue(show.contains("debit    -0.0001  12.4999"), show)
    }

    /// Issue 11: a generated lot logs in with the shipped scripts (their PIN entry takes the
    /// generated length) and `accounts add` refuses PINs shorter than the scripts accept.
    func testShippedScriptsTakeGeneratedPINsAndShortPINsAreRefused() throws {
        let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts")
        var ranges: [String: (Int, Int)] = [:]
        for file in try FileManager.default.contentsOfDirectory(atPath: scripts.path) where file.hasSuffix(".yaml") {
            let text = try String(contentsOf: scripts.appendingPathComponent(file), encoding: .utf8)
            for line in text.split(separator: "\n") where line.contains("pin: {") {
                guard let range = line.range(of: #"digits: [0-9]+\.\.[0-9]+"#, options: .regularExpression) else { continue }
                let bounds = line[range].dropFirst("digits: ".count).components(separatedBy: "..").compactMap { Int($0) }
                ranges[file] = (bounds[0], bounds[1])
            }
        }
        XCTAssertEqual(Set(ranges.keys), ["ani-callback.yaml", "calling-card.yaml", "pin-callback.yaml"])
        for (file, range) in ranges {
            XCTAssertEqual(range.0, 6, "\(file): the minimum PIN length `accounts add --pin` enforces")
            XCTAssertTrue((range.0...range.1).contains(CredentialGenerator().pin().count), "\(file) takes a generated PIN")
        }
        let directory = try TemporaryDataDirectory()
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["add", "shorty", "--password", "pw", "--pin", "1234"],
                                                    in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).contains("--pin must be 6 to 12 digits"), operatorErrorMessage($0))
        }
    }

    func testGenerateMakesALotOfUniqueWorkingCredentials() throws {
        let directory = try TemporaryDataDirectory()
        let export = try directory.file("cards.csv")
        let output = try runOperatorCommand(AccountsCommand.self, ["generate", "--count", "3", "--prefix", "vip", "--balance", "5",
                                                          "--lot", "march", "--export", export], in: directory)
        XCTAssertTrue(output.hasPrefix("generated 3 accounts in lot march, balance 5.0000 EUR each\n"), output)
        let csv = try String(contentsOfFile: export, encoding: .utf8)
        let lines = csv.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        XCTAssertEqual(lines.first, ["login", "password", "pin", "balance", "currency", "plan", "lot"])
        let rows = Array(lines.dropFirst())
        XCTAssertEqual(rows.count, 3)
        XCTAssertEqual(Set(rows.map { $0[0] }).count, 3)
        XCTAssertEqual(Set(rows.map { $0[2] }).count, 3)
        let permissions = try FileManager.default.attributesOfItem(atPath: export)[.posixPermissions] as? Int
        XCTAssertEqual(permissions, 0o600)
        let store = try directory.store()
        for row in rows {
            XCTAssertTrue(row[0].hasPrefix("vip") && row[0].count == 11, row[0])
            XCTAssertEqual(row[1].count, 16)
            XCTAssertEqual(row[2].count, 10)
            XCTAssertTrue(output.contains(row[1]), "printed once on the terminal too")
            guard case let .authenticated(account) = try store.authenticate(login: row[0], password: row[1]) else {
                return XCTFail("generated password must work")
            }
            XCTAssertEqual(account.balance, eur("5"))
            guard case let .authenticated(byPIN) = try store.authenticate(pin: row[2]) else { return XCTFail("PIN") }
            XCTAssertEqual(byPIN.login, row[0])
        }
        XCTAssertEqual(try store.lots().map(\.name), ["march"])
        XCTAssertEqual(try store.accounts(lot: "march").count, 3)
        XCTAssertEqual(try runOperatorCommand(AccountsCommand.self, ["list", "--lot", "march"], in: directory).split(separator: "\n").count, 4)

        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["generate", "--count", "1", "--export", export], in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).contains("already exists; refusing to overwrite"), operatorErrorMessage($0))
        }
        let second = try directory.file("again.csv")
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["generate", "--count", "1", "--lot", "march", "--export", second], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "lot \"march\" already exists")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: second))
        XCTAssertThrowsError(try AccountsCommand.parseAsRoot(["generate", "--count", "0", "--export", second]))
        XCTAssertThrowsError(try AccountsCommand.parseAsRoot(["generate", "--count", "2"]), "--export is required")
    }

    func testForwardModeOnAddAndTheForwardSetter() throws {
        let directory = try TemporaryDataDirectory()
        try runOperatorCommand(AccountsCommand.self, ["add", "5001", "--password", "p", "--forward", "4930777",
                                                      "--forward-mode", "fork", "--forward-after", "9"], in: directory)
        var account = try XCTUnwrap(try directory.store().account(login: "5001"))
        XCTAssertEqual(account.forwardMode, .fork)
        XCTAssertEqual(account.forwardAfterSeconds, 9)

        let output = try runOperatorCommand(AccountsCommand.self, ["forward", "5001", "--mode", "no-answer", "--after", "15"],
                                            in: directory)
        XCTAssertEqual(output, "5001: forward 4930777, no-answer after 15 s\n")
        account = try XCTUnwrap(try directory.store().account(login: "5001"))
        XCTAssertEqual(account.forwardNumber, "4930777", "an option left out keeps its value")
        XCTAssertEqual(account.forwardMode, .noAnswer)
        XCTAssertEqual(account.forwardAfterSeconds, 15)
        let list = try runOperatorCommand(AccountsCommand.self, ["list"], in: directory)
        XCTAssertTrue(list.contains("WHEN"), list)
        XCTAssertTrue(list.contains("4930777  no-answer after 15 s"), list)

        XCTAssertEqual(try runOperatorCommand(AccountsCommand.self, ["forward", "5001", "--clear-number", "--mode", "none"],
                                              in: directory), "5001: forward -, none\n")
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["forward", "5001", "--mode", "sometimes"], in: directory))
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["forward", "5001", "--after", "0"], in: directory))
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["add", "5002", "--password", "p", "--forward-after", "601"],
                                                    in: directory))
        XCTAssertNil(try directory.store().account(login: "5002"))
    }
}

/// Issue 11: operator debits respect open reservations; one `serve` per data directory.
final class MoneySafetyCommandTests: XCTestCase {
    func testADebitBeyondTheFreeBalanceIsRefusedNamingTheReservedAmount() throws {
        let directory = try TemporaryDataDirectory()
        try runOperatorCommand(AccountsCommand.self, ["add", "alice", "--password", "p", "--balance", "10"], in: directory)
        let store = try directory.store()
        let id = try XCTUnwrap(try store.account(login: "alice")?.id)
        _ = try store.reserve(account: id, amount: eur("8"), maxDurationSeconds: nil, call: CallContext(), at: Date())
        XCTAssertThrowsError(try runOperatorCommand(AccountsCommand.self, ["debit", "alice", "3"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "cannot debit 3.0000 EUR: the balance is 10.0000 EUR, of which "
                + "8.0000 EUR is reserved by calls in progress, so only 2.0000 EUR is free")
        }
        XCTAssertEqual(try runOperatorCommand(AccountsCommand.self, ["debit", "alice", "2"], in: directory),
                       "debited 2.0000 EUR from alice: balance 8.0000 EUR\n")
    }

    func testASecondServeOnTheSameDataDirectoryIsRefused() throws {
        let directory = try TemporaryDataDirectory()
        let data = URL(fileURLWithPath: directory.dataDir)
        let first = try ServeCommand.lock(data)
        XCTAssertThrowsError(try ServeCommand.lock(data)) {
            XCTAssertTrue("\($0)".contains("another switchback serve (pid \(getpid())) is already using the data directory "
                                           + data.path), "\($0)")
        }
        first.release()
        try ServeCommand.lock(data).release()
    }
}
