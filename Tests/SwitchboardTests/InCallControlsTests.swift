import IVR
import SIPStack
import XCTest
@testable import Switchboard

/// The in-call controls shared by the bridge and the conference, as tables: events in,
/// actions out, no sockets and no clock.
final class InCallControlsTests: XCTestCase {
    private let keys: [String: DialKeyAction] = ["#11": .endLeg, "111": .sayBalance]

    private func request(maxDuration: Int? = nil, warning: Int? = nil, keys: [String: DialKeyAction]? = nil) -> DialRequest {
        var request = DialRequest(to: ["4930777"])
        request.maxDurationSeconds = maxDuration
        request.warningSeconds = warning
        request.keys = keys ?? self.keys
        return request
    }

    private func controls(maxDuration: Int? = nil, warning: Int? = nil, billed: Int? = nil, credit: Int? = nil)
        -> InCallControls {
        var context = CallContext(caller: "5551234", dnis: "200")
        if let credit { context.variables["credit"] = .record(["max-duration": .integer(credit)]) }
        return InCallControls(request: request(maxDuration: maxDuration, warning: warning), billedSeconds: billed,
                              context: context)
    }

    /// Types `digits` 200 ms apart; the actions of every digit, in order.
    private func type(_ digits: String, into controls: inout InCallControls, from start: Int64 = 0)
        -> [InCallControls.Action] {
        digits.enumerated().flatMap { index, digit in
            controls.handle(.digit(digit, atMilliseconds: start + Int64(index) * 200))
        }
    }

    func testConnectingArmsTheWarningAndTheLimitOnce() {
        struct Row {
            var maxDuration: Int?
            var warning: Int?
            var billed: Int?
            var expected: [InCallControls.Action]
            var line: UInt
        }
        let rows: [Row] = [
            Row(maxDuration: nil, warning: 10, billed: nil, expected: [], line: #line),
            Row(maxDuration: 60, warning: nil, billed: nil, expected: [.startTimer(.limit, seconds: 60)], line: #line),
            Row(maxDuration: 60, warning: 10, billed: nil,
                expected: [.startTimer(.warning, seconds: 50), .startTimer(.limit, seconds: 60)], line: #line),
            // The reservation pays for less than the script allows: its limit, its warning.
            Row(maxDuration: 600, warning: 10, billed: 90,
                expected: [.startTimer(.warning, seconds: 80), .startTimer(.limit, seconds: 90)], line: #line),
            Row(maxDuration: nil, warning: 10, billed: 90,
                expected: [.startTimer(.warning, seconds: 80), .startTimer(.limit, seconds: 90)], line: #line),
            // A warning as long as the limit (or longer, or zero) would sound at once: none.
            Row(maxDuration: 30, warning: 30, billed: nil, expected: [.startTimer(.limit, seconds: 30)], line: #line),
            Row(maxDuration: 30, warning: 0, billed: nil, expected: [.startTimer(.limit, seconds: 30)], line: #line),
        ]
        for row in rows {
            var c = controls(maxDuration: row.maxDuration, warning: row.warning, billed: row.billed)
            XCTAssertEqual(c.handle(.connected), row.expected, line: row.line)
            XCTAssertEqual(c.handle(.connected), [], "a second party joining arms nothing again", line: row.line)
        }
    }

    func testKeysEndTheLegOrSayTheBalance() {
        var c = controls()
        XCTAssertEqual(type("5111", into: &c), [.keyTyped(sequence: "111", .sayBalance), .sayBalance])
        XCTAssertEqual(type("#11", into: &c, from: 10_000), [.keyTyped(sequence: "#11", .endLeg), .end(.key)])
        XCTAssertEqual(c.ending, .key)
        XCTAssertEqual(type("111", into: &c, from: 20_000), [], "nothing after the end")
        var none = InCallControls(request: request(keys: [:]), billedSeconds: nil, context: CallContext(caller: "1", dnis: "2"))
        XCTAssertEqual(type("#11111", into: &none), [])
    }

    func testTimersFireTheWarningThenTheEnd() {
        var c = controls(maxDuration: 60, warning: 10)
        XCTAssertEqual(c.handle(.timerFired(.limit)), [], "not connected: nothing to cut")
        _ = c.handle(.connected)
        XCTAssertEqual(c.handle(.timerFired(.warning)), [.playWarning(secondsLeft: 10)])
        XCTAssertEqual(c.handle(.timerFired(.limit)), [.end(.limit)])
        XCTAssertEqual(c.ending, .limit)
        XCTAssertEqual(c.handle(.timerFired(.warning)), [], "a late timer after the end does nothing")
        XCTAssertEqual(c.handle(.timerFired(.limit)), [])
    }

    func testTheLimitIsOutOfCreditOnlyWhenTheMoneySetIt() {
        struct Row {
            var maxDuration: Int?
            var billed: Int?
            var credit: Int?
            var expected: DialOutcome
            var line: UInt
        }
        let rows: [Row] = [
            Row(maxDuration: 60, billed: nil, credit: nil, expected: .ended, line: #line),
            Row(maxDuration: 60, billed: nil, credit: 60, expected: .outOfCredit, line: #line),
            Row(maxDuration: 60, billed: nil, credit: 600, expected: .ended, line: #line),
            Row(maxDuration: 600, billed: 90, credit: nil, expected: .outOfCredit, line: #line),
            Row(maxDuration: 60, billed: 90, credit: nil, expected: .ended, line: #line),
            // The reservation granted exactly the script's cap (it is granted at most that): the cap's.
            Row(maxDuration: 60, billed: 60, credit: nil, expected: .ended, line: #line),
            Row(maxDuration: nil, billed: 90, credit: nil, expected: .outOfCredit, line: #line),
        ]
        for row in rows {
            let c = controls(maxDuration: row.maxDuration, billed: row.billed, credit: row.credit)
            XCTAssertEqual(c.limitOutcome, row.expected, line: row.line)
        }
        XCTAssertEqual(controls(maxDuration: 600, billed: 90).timeLimit, 90)
        XCTAssertNil(controls().timeLimit)
        XCTAssertEqual(controls(maxDuration: 60).timeLimit, 60)
    }

    func testALegsOutcomeByHowItEndedAndWhyWeEndedIt() {
        let rows: [(OutboundCallOutcome, Bool, DialOutcome)] = [
            (.busy, false, .busy), (.noAnswer, false, .noAnswer), (.failed, false, .failed),
            (.ended, false, .ended), (.cancelled, false, .ended), (.ended, true, .failed), (.busy, true, .failed),
        ]
        let c = controls(maxDuration: 60, credit: 60)
        for (outcome, failedLocally, expected) in rows {
            XCTAssertEqual(c.outcome(of: outcome, failedLocally: failedLocally), expected, "\(outcome) \(failedLocally)")
        }
        // Cut at the limit the credit set: the leg's end is out-of-credit.
        var cut = c
        _ = cut.handle(.connected)
        _ = cut.handle(.timerFired(.limit))
        XCTAssertEqual(cut.outcome(of: .ended), .outOfCredit)
        XCTAssertEqual(cut.outcome(of: .busy), .busy)
    }
}
