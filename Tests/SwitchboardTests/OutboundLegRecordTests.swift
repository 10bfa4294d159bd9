import Foundation
import IVR
import XCTest
@testable import Switchboard

final class OutboundLegRecordTests: XCTestCase {
    private func record(answeredAfter: TimeInterval?, endedAfter: TimeInterval) -> OutboundLegRecord {
        let start = Date(timeIntervalSince1970: 1_000_000)
        return OutboundLegRecord(callID: "b", aLegCallID: "a", context: CallContext(caller: "1", dnis: "2"), trunk: "pstn",
                                 dialled: "0301", number: "+49301", callerID: "1", startedAt: start,
                                 answeredAt: answeredAfter.map { start.addingTimeInterval($0) },
                                 endedAt: start.addingTimeInterval(endedAfter), outcome: .ended, sipStatus: 200)
    }

    func testConnectedSecondsRunFromAnswerAndRoundUp() {
        XCTAssertEqual(record(answeredAfter: 5, endedAfter: 65).connectedSeconds, 60)
        XCTAssertEqual(record(answeredAfter: 5, endedAfter: 65.2).connectedSeconds, 61)
        XCTAssertEqual(record(answeredAfter: nil, endedAfter: 30).connectedSeconds, 0)
    }
}
