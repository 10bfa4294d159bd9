@testable import Switchboard
import XCTest

/// Conference parties are asked for money one at a time, in the order they are admitted,
/// each with its share of what is left: the shares never depend on which answer comes first.
final class PartyReservationQueueTests: XCTestCase {
    func testPartiesAreAskedInTurnEachWithItsShare() {
        var queue = PartyReservationQueue<String>(parties: 3)
        XCTAssertEqual(queue.admit("first").map { "\($0.party) \($0.share)" }, "first 3", "the first is asked at once")
        XCTAssertNil(queue.admit("second"), "not while the first one's answer is awaited")
        XCTAssertNil(queue.admit("third"))
        XCTAssertEqual(queue.answered().map { "\($0.party) \($0.share)" }, "second 2")
        XCTAssertEqual(queue.answered().map { "\($0.party) \($0.share)" }, "third 1")
        XCTAssertNil(queue.answered(), "nobody left to ask")
        // A party admitted later (a seat routed late) is asked at once, for what is left.
        XCTAssertEqual(queue.admit("late").map { "\($0.party) \($0.share)" }, "late 1")
    }

    func testAPartyAdmittedAfterTheAnswersIsAskedAtOnce() {
        var queue = PartyReservationQueue<String>(parties: 2)
        XCTAssertEqual(queue.admit("a")?.share, 2)
        XCTAssertNil(queue.answered())
        XCTAssertEqual(queue.admit("b").map { "\($0.party) \($0.share)" }, "b 1")
    }

    func testAbandonedPartiesAreNeverAsked() {
        var queue = PartyReservationQueue<String>(parties: 3)
        _ = queue.admit("a")
        _ = queue.admit("b")
        _ = queue.admit("c")
        XCTAssertEqual(queue.abandon(), ["b", "c"])
        XCTAssertNil(queue.answered(), "nothing left after the conference ended")
    }
}
