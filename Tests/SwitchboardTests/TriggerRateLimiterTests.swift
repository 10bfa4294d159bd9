import Foundation
@testable import Switchboard
import XCTest

/// `callback.limits` as a table: each row is one trigger at a time (seconds from the start)
/// and the verdict it must get; the limiter is carried from row to row.
final class TriggerRateLimiterTests: XCTestCase {
    private let start = Date(timeIntervalSince1970: 1_800_000_000)
    private typealias Verdict = TriggerRateLimiter.Verdict

    private struct Row {
        var at: TimeInterval
        var callerID: String?
        var source: String?
        /// Open unauthenticated callbacks when the trigger is one (nil: authenticated).
        var open: Int? = nil
        var expected: Verdict
        var line: UInt = #line
    }

    private func run(_ limits: TriggerRateLimiter.Limits, _ rows: [Row], file: StaticString = #filePath) {
        var limiter = TriggerRateLimiter(limits: limits)
        for row in rows {
            let verdict = limiter.admit(TriggerRequester(callerID: row.callerID, source: row.source),
                                        openUnauthenticated: row.open, now: start.addingTimeInterval(row.at))
            XCTAssertEqual(verdict, row.expected, "at +\(row.at)s caller \(row.callerID ?? "-") source \(row.source ?? "-")",
                           file: file, line: row.line)
        }
    }

    private let small = TriggerRateLimiter.Limits(perMinutePerCallerID: 2, perMinutePerSource: 3, perMinuteGlobal: 5,
                                                  concurrentUnauthenticated: 2)

    func testOneCallerIsHeldToItsMinuteAndMayTryAgainWhenItsOldestLeavesTheWindow() {
        run(small, [
            Row(at: 0, callerID: "4930111", source: "192.0.2.1", expected: .admitted),
            Row(at: 10, callerID: "4930111", source: "192.0.2.2", expected: .admitted),
            // A third within the minute, from another address: the caller ID is counted.
            Row(at: 20, callerID: "4930111", source: "192.0.2.3", expected: .limited(.callerID, retryAfter: 40)),
            // The same caller with a leading + is the same caller.
            Row(at: 21, callerID: "+4930111", source: "192.0.2.4", expected: .limited(.callerID, retryAfter: 39)),
            // Refused triggers are not counted: at +60 the first one has left, one slot is free.
            Row(at: 60, callerID: "4930111", source: "192.0.2.5", expected: .admitted),
            Row(at: 61, callerID: "4930111", source: "192.0.2.6", expected: .limited(.callerID, retryAfter: 9)),
            Row(at: 70.5, callerID: "4930111", source: "192.0.2.7", expected: .admitted),
        ])
    }

    func testRotatingTheCallerIDIsHeldBySourceThenGlobally() {
        run(small, [
            Row(at: 0, callerID: "4990001", source: "198.51.100.7", expected: .admitted),
            Row(at: 1, callerID: "4990002", source: "198.51.100.7", expected: .admitted),
            Row(at: 2, callerID: "4990003", source: "198.51.100.7", expected: .admitted),
            Row(at: 3, callerID: "4990004", source: "198.51.100.7", expected: .limited(.source, retryAfter: 57)),
            // A new port is the same source.
            Row(at: 4, callerID: "4990005", source: "198.51.100.7:5071", expected: .limited(.source, retryAfter: 56)),
            // Other sources fill the global minute, and then nobody gets through.
            Row(at: 5, callerID: "4990006", source: "203.0.113.1", expected: .admitted),
            Row(at: 6, callerID: "4990007", source: "203.0.113.2", expected: .admitted),
            Row(at: 7, callerID: "4990008", source: "203.0.113.3", expected: .limited(.global, retryAfter: 53)),
            Row(at: 8, callerID: nil, source: nil, expected: .limited(.global, retryAfter: 52)),
            Row(at: 60.5, callerID: "4990009", source: "203.0.113.4", expected: .admitted),
        ])
    }

    func testWithheldCallerIDsAreOneCaller() {
        run(small, [
            Row(at: 0, callerID: "", source: "192.0.2.1", expected: .admitted),
            Row(at: 1, callerID: "anonymous", source: "192.0.2.2", expected: .admitted),
            Row(at: 2, callerID: "Restricted", source: "192.0.2.3", expected: .limited(.callerID, retryAfter: 58)),
            Row(at: 3, callerID: "unknown", source: "192.0.2.4", expected: .limited(.callerID, retryAfter: 57)),
            // No caller ID at all (an API client) is not a caller: only its address counts.
            Row(at: 4, callerID: nil, source: "192.0.2.5", expected: .admitted),
            Row(at: 5, callerID: nil, source: "192.0.2.5", expected: .admitted),
        ])
    }

    func testTheConcurrentCapRefusesUnauthenticatedCallbacksOnly() {
        run(small, [
            Row(at: 0, callerID: "4930001", source: "192.0.2.1", open: 0, expected: .admitted),
            Row(at: 1, callerID: "4930002", source: "192.0.2.2", open: 1, expected: .admitted),
            Row(at: 2, callerID: "4930003", source: "192.0.2.3", open: 2,
                expected: .limited(.concurrentUnauthenticated, retryAfter: 60)),
            // An authenticated requester is not held by the cap.
            Row(at: 3, callerID: "4930004", source: "192.0.2.4", open: nil, expected: .admitted),
            // A callback ended: there is room again.
            Row(at: 4, callerID: "4930005", source: "192.0.2.5", open: 1, expected: .admitted),
        ])
        var none = small
        none.concurrentUnauthenticated = 0
        run(none, [
            Row(at: 0, callerID: "4930001", source: "192.0.2.1", open: 0,
                expected: .limited(.concurrentUnauthenticated, retryAfter: 60)),
            Row(at: 1, callerID: "4930001", source: "192.0.2.1", open: nil, expected: .admitted),
        ])
    }

    func testTheOperatorsSpoolIsNeitherCountedNorRefused() {
        var limiter = TriggerRateLimiter(limits: small)
        for second in 0..<20 {
            XCTAssertEqual(limiter.admit(.operatorSpool, openUnauthenticated: nil, now: start.addingTimeInterval(Double(second))),
                           .admitted)
        }
        // The spool used none of the minute: five others still get through.
        for second in 0..<5 {
            XCTAssertEqual(limiter.admit(TriggerRequester(callerID: "49\(second)0", source: "10.0.0.\(second)"),
                                         openUnauthenticated: nil, now: start.addingTimeInterval(20)), .admitted)
        }
    }

    func testAFloodOfRotatingNumbersKeepsMemoryBounded() {
        let limits = TriggerRateLimiter.Limits(perMinutePerCallerID: 3, perMinutePerSource: 30, perMinuteGlobal: 60,
                                               concurrentUnauthenticated: 5)
        var limiter = TriggerRateLimiter(limits: limits)
        var admitted = 0
        // 100 triggers a second for ten minutes, each from a new number and a new address.
        for index in 0..<60_000 {
            let verdict = limiter.admit(TriggerRequester(callerID: "4990\(index)", source: "10.\(index / 65_536).\(index / 256 % 256).\(index % 256)"),
                                        openUnauthenticated: nil, now: start.addingTimeInterval(Double(index) / 100))
            if verdict == .admitted { admitted += 1 }
        }
        XCTAssertEqual(admitted, 600, "60 a minute for ten minutes")
        XCTAssertLessThanOrEqual(limiter.bucketCount, 4 * 60 + 2 * 60)
    }

    func testKeys() {
        XCTAssertEqual(TriggerRateLimiter.sourceKey("192.0.2.1"), "192.0.2.1")
        XCTAssertEqual(TriggerRateLimiter.sourceKey("192.0.2.1:5060"), "192.0.2.1")
        XCTAssertEqual(TriggerRateLimiter.sourceKey("[2001:DB8::1]:5060"), "2001:db8::1")
        XCTAssertEqual(TriggerRateLimiter.sourceKey("2001:db8::1"), "2001:db8::1")
        XCTAssertEqual(TriggerRateLimiter.callerKey("+4930111"), "4930111")
        XCTAssertEqual(TriggerRateLimiter.callerKey("ANONYMOUS"), "anonymous")
    }
}
