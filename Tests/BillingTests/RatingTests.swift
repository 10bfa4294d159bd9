import XCTest
@testable import Billing

func money(_ text: String, _ currency: String = "EUR") -> Money { try! Money.parse(text, currency: currency) }

func rate(_ prefix: String, _ perMinute: String, fee: String = "0", _ first: Int = 60, _ following: Int = 60,
          description: String = "") -> Rate {
    try! Rate(prefix: prefix, description: description, perMinute: money(perMinute), connectionFee: money(fee),
              increments: BillingIncrements(first: first, following: following))
}

final class RatingTests: XCTestCase {
    func testBilledSecondsFollowIncrements() throws {
        let cases: [(first: Int, following: Int, answered: Int, billed: Int)] = [
            (60, 60, 0, 0), (60, 60, 1, 60), (60, 60, 60, 60), (60, 60, 61, 120), (60, 60, 179, 180),
            (30, 6, 1, 30), (30, 6, 30, 30), (30, 6, 31, 36), (30, 6, 36, 36), (30, 6, 37, 42),
            (1, 1, 0, 0), (1, 1, 1, 1), (1, 1, 59, 59), (1, 1, 3_600, 3_600),
            (45, 15, 46, 60), (45, 15, 61, 75), (1, 60, 2, 61), (60, 1, 61, 61),
        ]
        for c in cases {
            let increments = try BillingIncrements(first: c.first, following: c.following)
            XCTAssertEqual(increments.billedSeconds(forAnswered: c.answered), c.billed, "\(increments) \(c.answered)s")
        }
        XCTAssertThrowsError(try BillingIncrements(first: 0, following: 1))
        XCTAssertThrowsError(try BillingIncrements(first: 1, following: 0))
    }

    func testCostIsFeePlusRateTimesBilledSecondsOverSixty() throws {
        let cases: [(Rate, Int, String)] = [
            (rate("1", "0.1000"), 61, "0.2000"),                       // 120 s at 0.10/min
            (rate("1", "0.0125", 1, 1), 7, "0.0015"),                   // 0.0125×7/60 = 0.001458 → 0.0015
            (rate("1", "0.0006", 1, 1), 5, "0.0001"),                   // 0.00005 exactly: half rounds up
            (rate("1", "0.0006", 1, 1), 4, "0.0000"),                   // 0.00004 → 0
            (rate("1", "1.2000", fee: "0.0500", 30, 6), 31, "0.7700"),  // 36 s → 0.72 + 0.05
            (rate("1", "1.2000", fee: "0.0500", 30, 6), 0, "0.0000"),   // never answered: no fee
            (rate("1", "0", fee: "0.2500", 1, 1), 1, "0.2500"),         // fee-only destination
            (rate("1", "0.0100", 1, 1), 1, "0.0002"),                   // 0.000166.. → 0.0002
            (rate("1", "0.0100", 1, 1), 60, "0.0100"),                  // 60 one-second steps = one minute, no drift
            (rate("1", "3.0000", 60, 1), 61, "3.0500"),                 // 61 s × 0.05/s
        ]
        for (rate, answered, expected) in cases {
            XCTAssertEqual(try rate.cost(answeredSeconds: answered), money(expected),
                           "\(rate.perMinute) fee \(rate.connectionFee) \(rate.increments) for \(answered)s")
        }
    }

    func testLongestPrefixWins() throws {
        let table = try RateTable(rates: [
            rate("33", "0.0200", description: "France"),
            rate("336", "0.0900", description: "France mobile"),
            rate("3361", "0.1100", description: "France mobile Orange"),
            rate("1", "0.0100", description: "NANP"),
            rate("44", "0.0300", description: "UK"),
        ])
        let cases: [(String, String?)] = [
            ("33123456789", "33"), ("33612345678", "3361"), ("33698765432", "336"), ("+33612345678", "3361"),
            ("3", nil), ("49301234", nil), ("12125551234", "1"), ("44", "44"), ("", nil), ("33#1", "33"),
        ]
        for (number, prefix) in cases {
            XCTAssertEqual(table.rate(for: number)?.prefix, prefix, number)
        }
        let withDefault = try RateTable(rates: [rate("", "0.5000", description: "rest of world"), rate("33", "0.0200")])
        XCTAssertEqual(withDefault.rate(for: "49301234")?.prefix, "")
        XCTAssertEqual(withDefault.rate(for: "331")?.prefix, "33")
        XCTAssertThrowsError(try RateTable(rates: [rate("33", "1"), rate("33", "2")])) {
            XCTAssertEqual($0 as? RateError, .duplicatePrefix("33"))
        }
        XCTAssertThrowsError(try Rate(prefix: "3a", description: "", perMinute: money("1"), connectionFee: money("0"),
                                      increments: .perSecond))
    }

    func testABlockedPrefixRefusesTheNumberWhateverTheRates() throws {
        let plan = try RatePlan(name: "std", currency: "EUR", chargesALeg: false,
                                rates: [rate("49", "0.0600"), rate("", "0.5000")], blockedPrefixes: ["49900", "0900"])
        XCTAssertEqual(try plan.rate(for: "4930123").prefix, "49")
        XCTAssertThrowsError(try plan.rate(for: "4990012345")) {
            XCTAssertEqual($0 as? RateError, .blocked(number: "4990012345", prefix: "49900", plan: "std"))
        }
        XCTAssertThrowsError(try plan.rate(for: "+4990012345"))
        XCTAssertThrowsError(try plan.rate(for: "0900123")) {
            XCTAssertEqual("\($0)", "0900123 is blocked by plan std (prefix 0900)")
        }
        XCTAssertThrowsError(try plan.quote(leg: .b, to: "0900123", answeredSeconds: 10))
        XCTAssertThrowsError(try RatePlan(name: "bad", currency: "EUR", chargesALeg: false, rates: [], blockedPrefixes: ["09x"])) {
            XCTAssertEqual($0 as? RateError, .invalidPrefix("09x"))
        }
    }

    func testLookupOnALargeDeckMatchesLinearScan() throws {
        var rates: [Rate] = []
        var generator = SystemRandomNumberGenerator()
        var seen = Set<String>()
        while rates.count < 5_000 {
            let length = Int.random(in: 1...7, using: &generator)
            let prefix = String((0..<length).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            if seen.insert(prefix).inserted { rates.append(rate(prefix, "0.0100")) }
        }
        let table = try RateTable(rates: rates)
        for _ in 0..<2_000 {
            let number = String((0..<10).map { _ in Character(String(Int.random(in: 0...9, using: &generator))) })
            let expected = rates.filter { number.hasPrefix($0.prefix) }.max { $0.prefix.count < $1.prefix.count }
            XCTAssertEqual(table.rate(for: number)?.prefix, expected?.prefix, number)
        }
    }

    func testTwoLegRatingChargesTheALegOnlyWhenThePlanSaysSo() throws {
        let rates = [rate("33", "0.1200", 1, 1), rate("44", "0.6000", fee: "0.1000", 30, 6)]
        let free = try RatePlan(name: "free-callback", currency: "EUR", chargesALeg: false, rates: rates)
        let paid = try RatePlan(name: "paid-callback", currency: "EUR", chargesALeg: true, rates: rates)
        let cases: [(RatePlan, Leg, String, Int, prefix: String, billed: Int, cost: String, charged: Bool)] = [
            (free, .a, "33612345678", 95, "33", 95, "0.0000", false),
            (paid, .a, "33612345678", 95, "33", 95, "0.1900", true),     // 0.12 × 95/60 = 0.19
            (free, .b, "447700900123", 95, "44", 96, "1.0600", true),    // 0.1 + 0.6 × 96/60
            (paid, .b, "447700900123", 0, "44", 0, "0.0000", true),
        ]
        for c in cases {
            let quote = try c.0.quote(leg: c.1, to: c.2, answeredSeconds: c.3)
            XCTAssertEqual(quote.rate.prefix, c.prefix)
            XCTAssertEqual(quote.billedSeconds, c.billed)
            XCTAssertEqual(quote.cost, money(c.cost), "\(c.0.name) leg \(c.1)")
            XCTAssertEqual(quote.charged, c.charged)
        }
        XCTAssertThrowsError(try free.quote(leg: .b, to: "49123", answeredSeconds: 10)) {
            XCTAssertEqual($0 as? RateError, .noRate(number: "49123", plan: "free-callback"))
        }
        XCTAssertThrowsError(try RatePlan(name: "x", currency: "USD", chargesALeg: false, rates: rates))
    }

    func testMaximumDurationIsRoundedDownToTheIncrements() throws {
        let cases: [(free: String, a: Rate?, aElapsed: Int, b: Rate, seconds: Int, total: String)] = [
            ("2.5000", nil, 0, rate("1", "1.0000"), 120, "2.0000"),                       // 60/60: whole minutes
            ("1.0000", nil, 0, rate("1", "0.6000", fee: "0.1000", 30, 6), 90, "1.0000"),  // 0.1 + 0.01 × 90
            ("0.9900", nil, 0, rate("1", "0.6000", fee: "0.1000", 30, 6), 84, "0.9400"),  // next step (90 s) costs 1.00
            ("0.6000", rate("1", "0.1200", 1, 1), 0, rate("1", "0.4800", 1, 1), 60, "0.6000"),  // 0.01/s for both
            ("0.6000", rate("1", "0.1200", 1, 1), 30, rate("1", "0.4800", 1, 1), 54, "0.6000"), // A leg already 30 s
            ("0.0500", nil, 0, rate("1", "0.0100", fee: "0.1000", 1, 1), 0, "0.0000"),   // fee unaffordable
            ("0.0100", nil, 0, rate("1", "1.0000", 30, 6), 0, "0.0000"),                  // first 30 s cost 0.50
            ("0.0000", nil, 0, rate("1", "0", 1, 1), MaximumDuration.defaultLimit, "0.0000"),  // free destination
            ("10.0000", rate("1", "1.0000", fee: "0.5000", 60, 60), 0, rate("1", "1.0000", fee: "0.5000", 60, 60), 240, "9.0000"),
        ]
        for c in cases {
            let result = try MaximumDuration.compute(freeBalance: money(c.free), aLeg: c.a, aLegElapsedSeconds: c.aElapsed, bLeg: c.b)
            XCTAssertEqual(result.seconds, c.seconds, "free \(c.free)")
            XCTAssertEqual(result.totalCost, money(c.total), "free \(c.free)")
            XCTAssertLessThanOrEqual(result.totalCost, money(c.free))
        }
    }

    func testAnALegShareIsItsPartOfTheFreeBalanceOrTheLongestCall() {
        let perSecond = rate("1", "0.4800", 1, 1)   // 0.008 per second
        let cases: [(free: String, parts: Int, seconds: Int)] = [
            ("1.0000", 1, MaximumDuration.defaultLimit),   // alone: the store's own check decides
            ("1.0000", 2, 62),                              // 0.5000 buys 62 s
            ("1.0000", 4, MaximumDuration.defaultLimit),   // a quarter (31 s) buys less than a minute
            ("9.6000", 3, 400),                             // 3.2000 buys 400 s
            ("-1.0000", 2, MaximumDuration.defaultLimit),   // overdrawn: nothing to share
        ]
        for c in cases {
            XCTAssertEqual(MaximumDuration.shareLimit(freeBalance: money(c.free), parts: c.parts, rate: perSecond), c.seconds,
                           "free \(c.free), \(c.parts) parts")
        }
    }

    func testPlanMaximumDurationUsesBothLegsWhenCharged() throws {
        let rates = [rate("33", "0.1200", 1, 1), rate("44", "0.4800", 1, 1)]
        let paid = try RatePlan(name: "p", currency: "EUR", chargesALeg: true, rates: rates)
        let free = try RatePlan(name: "f", currency: "EUR", chargesALeg: false, rates: rates)
        XCTAssertEqual(try paid.maximumDuration(freeBalance: money("0.6"), aNumber: "331", bNumber: "441").seconds, 60)
        XCTAssertEqual(try free.maximumDuration(freeBalance: money("0.6"), aNumber: "331", bNumber: "441").seconds, 75)
        XCTAssertEqual(try free.maximumDuration(freeBalance: money("100"), aNumber: nil, bNumber: "441", limit: 3_600).seconds, 3_600)
    }
}
