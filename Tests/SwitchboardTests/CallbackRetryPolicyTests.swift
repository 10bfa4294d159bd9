import Foundation
@testable import Switchboard
import XCTest

/// The retry and limit decisions, as tables: no clock, no store.
final class CallbackRetryPolicyTests: XCTestCase {
    func testBusyAndNoAnswerAreRetriedWithDoublingBackoffUntilTheAttemptsRunOut() {
        let policy = CallbackRetryPolicy(attempts: 4, backoff: .seconds(30))
        let rows: [(CallbackALegFailure, Int, CallbackRetryPolicy.Decision)] = [
            (.busy, 1, .retry(after: .seconds(30))),
            (.noAnswer, 1, .retry(after: .seconds(30))),
            (.busy, 2, .retry(after: .seconds(60))),
            (.noAnswer, 3, .retry(after: .seconds(120))),
            (.busy, 4, .giveUp(reason: "busy after 4 attempts")),
            (.noAnswer, 5, .giveUp(reason: "no-answer after 5 attempts")),
            (.failed, 1, .giveUp(reason: "the A leg failed: not retried")),
        ]
        for (failure, made, expected) in rows {
            XCTAssertEqual(policy.decide(after: failure, attemptsMade: made), expected, "\(failure) after \(made)")
        }
    }

    func testASingleAttemptIsNeverRetriedAndTheBackoffIsCapped() {
        XCTAssertEqual(CallbackRetryPolicy(attempts: 1).decide(after: .busy, attemptsMade: 1),
                       .giveUp(reason: "busy after 1 attempt"))
        XCTAssertEqual(CallbackRetryPolicy(attempts: 0).attempts, 1, "at least the first attempt")
        let capped = CallbackRetryPolicy(attempts: 50, backoff: .seconds(30), maximumBackoff: .seconds(600))
        XCTAssertEqual(capped.delay(beforeRetry: 5), .seconds(480))
        XCTAssertEqual(capped.delay(beforeRetry: 6), .seconds(600))
        XCTAssertEqual(capped.delay(beforeRetry: 40), .seconds(600))
        XCTAssertEqual(CallbackRetryPolicy(backoff: .milliseconds(1500)).delay(beforeRetry: 2), .seconds(3))
    }

    func testLimitsPostponeOverConcurrencyAndRefuseOverTheHourlyCount() {
        let limits = CallbackLimits(concurrentPerAccount: 2, perHourPerAccount: 10, postponement: .seconds(5))
        XCTAssertEqual(limits.decide(othersActive: 0, createdBefore: 0), .proceed)
        XCTAssertEqual(limits.decide(othersActive: 1, createdBefore: 9), .proceed)
        XCTAssertEqual(limits.decide(othersActive: 2, createdBefore: 0), .postpone(after: .seconds(5)))
        XCTAssertEqual(limits.decide(othersActive: 0, createdBefore: 10),
                       .refuse(reason: "limit: 10 callbacks per hour per account"))
        XCTAssertEqual(limits.decide(othersActive: 5, createdBefore: 10),
                       .refuse(reason: "limit: 10 callbacks per hour per account"), "refusal wins: waiting would not help")
        let none = CallbackLimits(concurrentPerAccount: 0, perHourPerAccount: 0)
        XCTAssertEqual(none.decide(othersActive: 1000, createdBefore: 1000), .proceed, "0 means no limit")
    }
}
