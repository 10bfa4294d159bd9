import IVR
@testable import Switchboard
import XCTest

/// The conference `dial`'s bookkeeping without sockets: who is dialled under
/// `max-participants`, when nobody is left, and the outcome the script sees.
final class ConferenceRosterTests: XCTestCase {
    func testTheALegHoldsASeatAndNumbersBeyondTheLimitAreSkipped() {
        let roster = ConferenceRoster(numbers: ["1", "2", "3", "4", "5", "6"], maximumParticipants: 4)
        XCTAssertEqual(roster.legs.map(\.number), ["1", "2", "3"])
        XCTAssertEqual(roster.skipped, ["4", "5", "6"])
        let roomy = ConferenceRoster(numbers: ["1", "2"], maximumParticipants: 5)
        XCTAssertEqual(roomy.legs.map(\.number), ["1", "2"])
        XCTAssertTrue(roomy.skipped.isEmpty)
    }

    func testOnePartyLeavingLeavesTheOthersTalking() {
        var roster = ConferenceRoster(numbers: ["a", "b", "c"], maximumParticipants: 5)
        for index in 0..<3 {
            roster.answered(index)
            roster.joined(index)
        }
        XCTAssertEqual(roster.joinedCount, 3)
        roster.ended(1, outcome: .ended)
        XCTAssertEqual(roster.joinedCount, 2)
        XCTAssertFalse(roster.nobodyLeft)
        roster.ended(0, outcome: .ended)
        roster.ended(2, outcome: .ended)
        XCTAssertTrue(roster.nobodyLeft)
        XCTAssertEqual(roster.outcome, .ended)
    }

    func testALegStillRingingKeepsTheConferenceOpen() {
        var roster = ConferenceRoster(numbers: ["a", "b"], maximumParticipants: 3)
        roster.answered(0)
        roster.joined(0)
        roster.ended(0, outcome: .ended)
        XCTAssertFalse(roster.nobodyLeft, "b still rings")
        roster.ended(1, outcome: .noAnswer)
        XCTAssertTrue(roster.nobodyLeft)
        XCTAssertEqual(roster.outcome, .ended, "somebody talked: the conference ended normally")
    }

    func testNobodyAnsweringGivesTheMostTellingFailure() {
        var busy = ConferenceRoster(numbers: ["a", "b", "c"], maximumParticipants: 5)
        busy.ended(0, outcome: .failed)
        busy.ended(1, outcome: .noAnswer)
        busy.ended(2, outcome: .busy)
        XCTAssertEqual(busy.outcome, .busy)

        var silent = ConferenceRoster(numbers: ["a", "b"], maximumParticipants: 5)
        silent.ended(0, outcome: .failed)
        silent.ended(1, outcome: .noAnswer)
        XCTAssertEqual(silent.outcome, .noAnswer)

        var broken = ConferenceRoster(numbers: ["a", "b"], maximumParticipants: 5)
        broken.ended(0, outcome: .failed)
        broken.ended(1, outcome: .failed)
        XCTAssertEqual(broken.outcome, .failed)
    }

    func testAnAnsweredLegThatNeverJoinedCountsAsItsOutcome() {
        var roster = ConferenceRoster(numbers: ["a", "b"], maximumParticipants: 5)
        roster.answered(0)
        roster.ended(0, outcome: .failed)   // unusable SDP answer
        roster.ended(1, outcome: .busy)
        XCTAssertEqual(roster.outcome, .busy)
        XCTAssertEqual(roster.joinedCount, 0)
    }

    func testTheFirstOutcomeOfALegCountsAndAnEndedLegCannotRejoin() {
        var roster = ConferenceRoster(numbers: ["a", "b"], maximumParticipants: 5)
        roster.ended(0, outcome: .busy)
        roster.ended(0, outcome: .ended)
        roster.joined(0)
        XCTAssertEqual(roster.legs[0].state, .ended(.busy))
        XCTAssertFalse(roster.legs[0].joined)
    }

    func testTheLeaveToneIsTwoShortBeeps() {
        let tone = ConferenceSession.leaveTone
        XCTAssertEqual(tone.frameCount, 18, "150 ms + 50 ms + 150 ms, in 20 ms frames")
    }
}
