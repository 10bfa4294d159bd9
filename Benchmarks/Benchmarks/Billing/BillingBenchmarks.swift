import Benchmark
import Billing
import Foundation
import Store

/// Rate lookups on a 100,000-prefix deck, and the money path of a call (reserve → settle)
/// on a real SQLite file in WAL mode.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration.maxDuration = .seconds(3)

    let deck = BillingBenchmarkData.deck(prefixes: 100_000)
    let table = try! RateTable(rates: deck)
    let numbers = BillingBenchmarkData.numbers(count: 4_096)

    Benchmark("rate lookup, 100k prefixes", configuration: .init(metrics: [.throughput, .wallClock], scalingFactor: .kilo)) { benchmark in
        var index = 0
        for _ in benchmark.scaledIterations {
            blackHole(table.rate(for: numbers[index & 4_095]))
            index &+= 1
        }
    }

    Benchmark("rate table build, 100k prefixes", configuration: .init(metrics: [.wallClock, .mallocCountTotal])) { _ in
        blackHole(try RateTable(rates: deck))
    }

    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("switchback-billing-bench-\(UUID().uuidString)", isDirectory: true)
    let store = try! SQLiteStore(dataDirectory: directory, passwordHasher: PasswordHasher(rounds: 1_000))
    try! store.importRates(plan: "bench", currency: "EUR", chargesALeg: false, rates: Array(deck.prefix(1_000)), at: Date())
    let plan = try! store.ratePlan(named: "bench")!
    let account = try! store.createAccount(NewAccount(
        login: "bench", password: "bench", sipRealm: "bench",
        initialBalance: Money(minorUnits: 1_000_000_000_000, currency: "EUR"), ratePlan: "bench"), at: Date())
    let destination = numbers.first { plan.table.rate(for: $0) != nil } ?? deck[0].prefix + "1234567"
    let rate = try! plan.rate(for: destination)

    Benchmark("reserve + settle (SQLite WAL file)", configuration: .init(metrics: [.throughput, .wallClock])) { benchmark in
        for _ in benchmark.scaledIterations {
            let now = Date()
            guard case let .reserved(reservation) = try store.reserve(
                account: account.id!, amount: Money(minorUnits: 10_000, currency: "EUR"), maxDurationSeconds: 600,
                call: CallContext(campaign: "bench", trigger: "bench"), at: now) else { fatalError("refused") }
            blackHole(try store.settle(reservation: reservation.id!, endings: [], at: now))
        }
    }

    Benchmark("call: reserve, open leg, answer, settle (SQLite WAL file)", configuration: .init(metrics: [.throughput, .wallClock])) { benchmark in
        for _ in benchmark.scaledIterations {
            let now = Date()
            guard case let .reserved(reservation) = try store.reserve(
                account: account.id!, amount: Money(minorUnits: 10_000, currency: "EUR"), maxDurationSeconds: 600,
                call: CallContext(campaign: "bench", trigger: "bench"), at: now) else { fatalError("refused") }
            let leg = try store.openLeg(reservation: reservation.id!, NewCallLeg(
                leg: .b, fromNumber: "1000", toNumber: destination, startedAt: now, rate: rate, charged: true))
            try store.recordAnswer(leg: leg.id!, at: now)
            blackHole(try store.settle(reservation: reservation.id!, endings: [
                LegEnding(legID: leg.id!, endedAt: now.addingTimeInterval(61), disposition: .answered, sipCause: 200)], at: now))
        }
    }
}

/// Deterministic test data, so runs compare.
enum BillingBenchmarkData {
    /// A 64-bit linear congruential generator (Knuth's MMIX constants): fast and repeatable.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    /// `prefixes` distinct digit prefixes of 2 to 8 digits, like a carrier's A–Z deck.
    static func deck(prefixes count: Int) -> [Rate] {
        var generator = Generator(state: 42)
        var seen = Set<String>()
        var rates: [Rate] = []
        rates.reserveCapacity(count)
        while rates.count < count {
            let length = Int.random(in: 2...8, using: &generator)
            let prefix = String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            guard seen.insert(prefix).inserted else { continue }
            rates.append(try! Rate(
                prefix: prefix, description: "destination \(prefix)",
                perMinute: Money(minorUnits: Int64.random(in: 10...50_000, using: &generator), currency: "EUR"),
                connectionFee: Money(minorUnits: 0, currency: "EUR"),
                increments: try! BillingIncrements(first: 30, following: 6)))
        }
        return rates
    }

    /// Random 11-digit E.164-like numbers.
    static func numbers(count: Int) -> [String] {
        var generator = Generator(state: 7)
        return (0..<count).map { _ in String((0..<11).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) }) }
    }
}
