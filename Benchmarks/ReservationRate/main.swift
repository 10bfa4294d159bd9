// Reservation rate: how many billed calls per second a store opens and settles
// (`openAccessLeg` + `settle`, each one write transaction), on SQLite (a WAL file, as
// `serve` opens it) and on PostgreSQL (a throwaway local server from PostgresTestSupport,
// started with fsync off: the figure is the store's and the locking's, not the disk's).
//
//   swift build -c release --product reservation-rate-benchmark
//   .build/release/reservation-rate-benchmark [pairs per run, default 2000] [threads, default 8]
//
// Each backend runs three ways: one thread; `threads` threads on 100 accounts; `threads`
// threads on ONE account (every transaction takes the same account lock).
import Billing
import Foundation
import PostgresTestSupport
import Store

let arguments = CommandLine.arguments.dropFirst().compactMap { Int($0) }
let pairs = arguments.first ?? 2_000
let threads = arguments.dropFirst().first ?? 8
let accountCount = 100

func prepare(_ store: any SwitchbackStore) throws -> (RatePlan, [Int64]) {
    try store.importRates(plan: "card", currency: "EUR", chargesALeg: true, rates: [
        try Rate(prefix: "1000", description: "access", perMinute: try Money.parse("0.0300", currency: "EUR"),
                 connectionFee: .zero("EUR"), increments: BillingIncrements(first: 1, following: 1)),
    ], at: Date())
    guard let plan = try store.ratePlan(named: "card") else { throw BenchmarkError("the plan was not stored") }
    var ids: [Int64] = []
    for index in 0..<accountCount {
        let account = try store.createAccount(NewAccount(
            login: "bench\(index)", password: "secret", sipRealm: "bench", initialBalance: try Money.parse("1000000", currency: "EUR"),
            ratePlan: "card"), at: Date())
        ids.append(account.id!)
    }
    return (plan, ids)
}

/// One billed call: the access leg opened (reserved), then settled after 30 s of talk.
func call(_ store: any SwitchbackStore, plan: RatePlan, account: Int64) throws {
    let answered = Date()
    let outcome = try store.openAccessLeg(AccessLegRequest(
        accountID: account, plan: plan, caller: "5551234", accessNumber: "1000", startedAt: answered, answeredAt: answered,
        call: CallContext(campaign: "card", trigger: "card"), limit: 3_600), at: answered)
    guard case let .opened(grant) = outcome else { throw BenchmarkError("refused: \(outcome)") }
    _ = try store.settle(reservation: grant.reservationID, endings: [
        LegEnding(legID: grant.legID, endedAt: answered.addingTimeInterval(30), disposition: .answered)], at: answered)
}

final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var errors: [String] = []
    func add(_ error: any Error) { lock.withLock { errors.append("\(error)") } }
}

/// Pairs per second of `pairs` calls on `threadCount` threads, on `accounts`.
func measure(_ store: any SwitchbackStore, plan: RatePlan, accounts: [Int64], threadCount: Int) throws -> Double {
    let failures = Failures()
    let perThread = pairs / threadCount
    let group = DispatchGroup()
    let start = Date()
    for thread in 0..<threadCount {
        group.enter()
        Thread {
            defer { group.leave() }
            for index in 0..<perThread {
                do {
                    try call(store, plan: plan, account: accounts[(thread * perThread + index) % accounts.count])
                } catch {
                    failures.add(error)
                    return
                }
            }
        }.start()
    }
    group.wait()
    let elapsed = Date().timeIntervalSince(start)
    if let first = failures.errors.first { throw BenchmarkError("\(failures.errors.count) failed, first: \(first)") }
    return Double(perThread * threadCount) / elapsed
}

struct BenchmarkError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func run(_ name: String, _ store: any SwitchbackStore) throws {
    let (plan, accounts) = try prepare(store)
    try call(store, plan: plan, account: accounts[0])  // warm-up
    let one = try measure(store, plan: plan, accounts: accounts, threadCount: 1)
    let spread = try measure(store, plan: plan, accounts: accounts, threadCount: threads)
    let contended = try measure(store, plan: plan, accounts: [accounts[0]], threadCount: threads)
    print(String(format: "%@: 1 thread %.0f/s; %d threads, %d accounts %.0f/s; %d threads, 1 account %.0f/s",
                 name, one, threads, accountCount, spread, threads, contended))
}

do {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reservation-rate-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    try run("SQLite (WAL file)", try SQLiteStore(dataDirectory: directory, passwordHasher: PasswordHasher(rounds: 1_000)))

    let server = try PostgresTestServer()
    defer { server.stop() }
    let url = try PostgresURL(parsing: server.url(database: try server.createDatabase(named: "bench")))
    var generator = SystemRandomNumberGenerator()
    let pepper = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    let postgres = try PostgresStore(url: url, passwordHasher: PasswordHasher(rounds: 1_000), pinPepper: pepper,
                                     poolSize: threads, node: "bench")
    defer { postgres.close() }
    try run("PostgreSQL (local, fsync off)", postgres)
} catch {
    FileHandle.standardError.write(Data("reservation-rate-benchmark: \(error)\n".utf8))
    exit(1)
}
