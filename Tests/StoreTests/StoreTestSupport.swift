import Billing
import Foundation
import XCTest
@testable import Store

/// PBKDF2 at full strength is slow on purpose; tests that are not about it use few rounds.
let fastHasher = PasswordHasher(rounds: 1_000)

func eur(_ text: String) -> Money { try! Money.parse(text, currency: "EUR") }

/// A fixed, readable clock for tests: seconds after 2026-01-01 12:00:00 UTC.
func at(_ seconds: TimeInterval) -> Date { Date(timeIntervalSince1970: 1_767_268_800 + seconds) }

func temporaryDirectory(_ name: String = #function) throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("switchback-store-tests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func rate(_ prefix: String, _ perMinute: String, fee: String = "0", _ first: Int = 60, _ following: Int = 60) -> Rate {
    try! Rate(prefix: prefix, description: "test \(prefix)", perMinute: eur(perMinute), connectionFee: eur(fee),
              increments: BillingIncrements(first: first, following: following))
}

extension AccountStore {
    /// An account with a known password and PIN, for tests.
    func makeAccount(_ login: String, balance: String, pin: String? = nil, plan: String? = nil,
                     maxConcurrentCalls: Int = 0, dailySpendLimit: String? = nil) throws -> Account {
        try createAccount(NewAccount(login: login, password: "secret-\(login)", pin: pin, sipRealm: "switchback.local",
                                     initialBalance: eur(balance), ratePlan: plan, maxConcurrentCalls: maxConcurrentCalls,
                                     dailySpendLimit: dailySpendLimit.map(eur)), at: at(0))
    }
}
