import NIOCore
@testable import SIPStack
import XCTest

/// The budget for warnings about what peers sent: who gets a line when, and that the
/// lines written still account for every warning held back.
final class PeerWarningThrottleTests: XCTestCase {
    private let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    private func at(_ milliseconds: Int64) -> NIODeadline { start + .milliseconds(milliseconds) }

    /// Runs `(source, milliseconds)` warnings through a throttle and returns, per warning,
    /// `nil` (held back) or the held-back count its line carried.
    private func run(_ throttle: inout PeerWarningThrottle, _ warnings: [(String, Int64)]) -> [Int?] {
        warnings.map { throttle.admit(source: $0.0, now: at($0.1)) }
    }

    func testOneSourceGetsItsBurstThenOneLinePerInterval() {
        var throttle = PeerWarningThrottle(perSource: .init(burst: 3, interval: .seconds(1)),
                                           overall: .init(burst: 100, interval: .milliseconds(1)))
        // Ten at once, then more at 0.5 s, 1 s, 1.5 s, 2.2 s.
        let warnings = Array(repeating: ("192.0.2.1", Int64(0)), count: 10)
            + [("192.0.2.1", 500), ("192.0.2.1", 1000), ("192.0.2.1", 1500), ("192.0.2.1", 2200), ("192.0.2.1", 2300)]
        let expected: [Int?] = [0, 0, 0, nil, nil, nil, nil, nil, nil, nil,
                                nil,   // 0.5 s: the budget refills at 1 s
                                8,     // 1 s: one line, saying 7 + 1 were held back
                                nil,   // 1.5 s
                                1,     // 2.2 s
                                nil]   // 2.3 s
        XCTAssertEqual(run(&throttle, warnings), expected)
    }

    func testAPeerThatErrsNowAndThenIsLoggedEveryTime() {
        var throttle = PeerWarningThrottle()
        let oncePerMinute = (0..<10).map { ("198.51.100.7", Int64($0) * 60_000) }
        XCTAssertEqual(run(&throttle, oncePerMinute), Array(repeating: 0, count: 10))
    }

    func testAFloodFromOneSourceDoesNotSilenceAnother() {
        var throttle = PeerWarningThrottle()
        let flood = (0..<1000).map { _ in ("203.0.113.66", Int64(0)) }
        let written = run(&throttle, flood).compactMap { $0 }.count
        XCTAssertEqual(written, PeerWarningThrottle.defaultPerSource.burst)
        // The overall budget (100 at once) still has room for someone else.
        XCTAssertEqual(throttle.admit(source: "192.0.2.44", now: at(1)), 980, "the other peer's line counts the flood held back")
    }

    func testSpoofedSourcesAreHeldToTheOverallBudget() {
        var throttle = PeerWarningThrottle(perSource: .init(burst: 20, interval: .seconds(1)),
                                           overall: .init(burst: 100, interval: .milliseconds(100)))
        // 10,000 datagrams from 10,000 addresses within 2 s: 100 at once, then 10 a second.
        let spoofed = (0..<10_000).map { ("10.\($0 / 256 % 256).\($0 % 256).1", Int64($0) / 5) }
        let written = run(&throttle, spoofed).compactMap { $0 }.count
        XCTAssertEqual(written, 100 + 19, "a burst of 100, then one per 100 ms over the 1.9 s after it")
    }

    func testSourcesRememberedAreBoundedAndFreedWhenTheirBudgetIsFull() {
        var throttle = PeerWarningThrottle(perSource: .init(burst: 2, interval: .seconds(1)),
                                           overall: .init(burst: 1000, interval: .microseconds(1)),
                                           trackedSources: 4)
        for index in 0..<50 { _ = throttle.admit(source: "10.0.0.\(index)", now: at(Int64(index))) }
        XCTAssertEqual(throttle.rememberedSources, 4, "no more sources than the table holds")
        // An untracked source is held to the overall budget only: it is logged.
        XCTAssertNotNil(throttle.admit(source: "10.0.1.1", now: at(60)))
        // Once the remembered budgets are full again, a sweep makes room for new sources.
        XCTAssertNotNil(throttle.admit(source: "10.0.1.2", now: at(5_000)))
        XCTAssertEqual(throttle.rememberedSources, 1, "the swept table holds only the newcomer")
        XCTAssertEqual(run(&throttle, [("10.0.1.2", 5_000), ("10.0.1.2", 5_000)]), [0, nil],
                       "the newcomer's own budget applies again")
    }

    func testTheLinesWrittenAccountForEveryWarning() {
        var throttle = PeerWarningThrottle()
        var random = SystemRandomNumberGenerator()
        var now: Int64 = 0
        var warnings: [(String, Int64)] = []
        for _ in 0..<20_000 {
            now += Int64.random(in: 0...3, using: &random)
            warnings.append(("192.0.2.\(Int.random(in: 1...3, using: &random))", now))
        }
        let outcomes = run(&throttle, warnings)
        let written = outcomes.compactMap { $0 }
        let trailing = outcomes.reversed().prefix { $0 == nil }.count
        XCTAssertLessThan(written.count, warnings.count / 10, "a flood is throttled")
        XCTAssertEqual(written.count + written.reduce(0, +) + trailing, warnings.count,
                       "each line plus the warnings it says were held back, plus those after the last line")
    }
}
