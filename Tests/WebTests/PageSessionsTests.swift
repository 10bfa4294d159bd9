import Foundation
@testable import Web
import XCTest

/// The pages' session table and form decoding, without HTTP.
final class PageSessionsTests: XCTestCase {
    func testASessionEndsAfterItsIdleTimeAndEachUsePushesThatBack() {
        let sessions = PageSessions(idleTimeout: 60)
        let start = Date(timeIntervalSince1970: 1_000)
        let (id, session) = sessions.start(.account(7), now: start)
        XCTAssertEqual(id.count, 64)
        XCTAssertEqual(session.csrf.count, 64)
        XCTAssertNotEqual(id, session.csrf)
        XCTAssertEqual(sessions.session(id, now: start.addingTimeInterval(50))?.holder, .account(7))
        XCTAssertNotNil(sessions.session(id, now: start.addingTimeInterval(100)), "the use at 50 s pushed expiry to 110 s")
        XCTAssertNil(sessions.session(id, now: start.addingTimeInterval(161)))
        XCTAssertNil(sessions.session(id, now: start), "an expired session is gone for good")
        XCTAssertNil(sessions.session("not-a-session", now: start))
    }

    func testSignOutEndsTheSession() {
        let sessions = PageSessions()
        let (id, _) = sessions.start(.operatorToken, now: Date())
        sessions.end(id)
        XCTAssertNil(sessions.session(id, now: Date()))
    }

    func testAFloodOfVisitorsMakesRoomWithoutPushingOutTheSignedIn() {
        let sessions = PageSessions(idleTimeout: 600, capacity: 10)
        let start = Date(timeIntervalSince1970: 1_000)
        let (signedIn, _) = sessions.start(.account(1), now: start)
        for second in 1...50 { _ = sessions.start(.visitor, now: start.addingTimeInterval(Double(second))) }
        XCTAssertEqual(sessions.count, 10)
        XCTAssertEqual(sessions.session(signedIn, now: start.addingTimeInterval(60))?.holder, .account(1))
    }

    func testFormsDecodePlusAndPercentAndKeepTheFirstOfARepeatedName() {
        let form = PageForm("numbers=4930222%2C+4930333&name=%3Cscript%3E&name=second&empty=&flag")
        XCTAssertEqual(form["numbers"], "4930222, 4930333")
        XCTAssertEqual(form["name"], "<script>")
        XCTAssertEqual(form["empty"], "")
        XCTAssertEqual(form["flag"], "")
        XCTAssertEqual(form["missing"], "")
    }
}
