import SIPStack
import XCTest

/// The status → outcome table documented on `OutboundCallOutcome`, row by row.
final class OutboundCallOutcomeTests: XCTestCase {
    func testFinalStatusWithoutCancel() {
        let table: [(Int, OutboundCallOutcome)] = [
            (200, .ended), (202, .ended),
            (486, .busy), (600, .busy),
            (408, .noAnswer), (480, .noAnswer),
            (487, .failed),
            (300, .failed), (302, .failed), (380, .failed),
            (400, .failed), (401, .failed), (403, .failed), (404, .failed), (407, .failed), (410, .failed),
            (484, .failed), (485, .failed), (488, .failed), (491, .failed),
            (500, .failed), (501, .failed), (502, .failed), (503, .failed), (504, .failed), (580, .failed),
            (603, .failed), (604, .failed), (606, .failed), (699, .failed),
        ]
        for (status, outcome) in table {
            XCTAssertEqual(OutboundCallOutcome(finalStatus: status), outcome, "\(status)")
        }
    }

    func testFinalStatusAfterOurRingTimeout() {
        let table: [(Int, OutboundCallOutcome)] = [
            (487, .noAnswer), (200, .noAnswer), (408, .noAnswer), (480, .noAnswer),
            (486, .busy), (600, .busy),
            (404, .failed), (503, .failed), (603, .failed),
        ]
        for (status, outcome) in table {
            XCTAssertEqual(OutboundCallOutcome(finalStatus: status, cancelledBy: .ringTimeout), outcome, "\(status)")
        }
    }

    func testAnyFinalAfterARequestedCancelIsCancelled() {
        for status in [200, 404, 408, 486, 487, 503, 600, 603] {
            XCTAssertEqual(OutboundCallOutcome(finalStatus: status, cancelledBy: .requested), .cancelled, "\(status)")
        }
    }

    func testNoFinalResponse() {
        XCTAssertEqual(OutboundCallOutcome(noFinalResponseCancelledBy: nil), .failed, "Timer B: unreachable")
        XCTAssertEqual(OutboundCallOutcome(noFinalResponseCancelledBy: .ringTimeout), .noAnswer)
        XCTAssertEqual(OutboundCallOutcome(noFinalResponseCancelledBy: .requested), .cancelled)
    }

    func testRawValuesAreTheNamesOfTheDialVerbOutcomes() {
        XCTAssertEqual(OutboundCallOutcome.allCases.map(\.rawValue), ["ended", "busy", "no-answer", "failed", "cancelled"])
    }

    func testEndingDescribesItself() {
        let ending = OutboundCallEnding(outcome: .busy, status: 486, reason: "486 Busy Here")
        XCTAssertEqual(ending.description, "busy (486): 486 Busy Here")
        XCTAssertEqual(OutboundCallEnding(outcome: .ended, status: 200, hungUpBy: .remote, reason: "BYE").description,
                       "ended (200), hung up by remote: BYE")
    }
}
