import SIP
@testable import SIPStack
import XCTest

/// RFC 3261 §17.2.1 / §17.2.2 with RFC 6026's Accepted state.
final class ServerInviteTransactionTests: XCTestCase {
    let invite = TestMessages.request(.invite)

    func testRetransmittedInviteGetsLastProvisional() {
        var t = ServerInviteTransaction(request: invite, reliability: .unreliable)
        XCTAssertEqual(t.receiveRetransmission(), [], "nothing sent yet")
        XCTAssertEqual(.of(t.send(TestMessages.response(100, to: invite))), [.sendResponse(100)])
        XCTAssertEqual(.of(t.send(TestMessages.response(180, to: invite))), [.sendResponse(180)])
        XCTAssertEqual(.of(t.receiveRetransmission()), [.sendResponse(180)])
    }

    func testNon2xxRetransmitsOnTimerGUntilACKThenTimerI() {
        var t = ServerInviteTransaction(request: invite, reliability: .unreliable)
        XCTAssertEqual(.of(t.send(TestMessages.response(486, to: invite))), [.sendResponse(486), .start(.h, .seconds(32)), .start(.g, .milliseconds(500))])
        XCTAssertEqual(.of(t.timerFired(.g)), [.sendResponse(486), .start(.g, .seconds(1))])
        XCTAssertEqual(.of(t.receiveRetransmission()), [.sendResponse(486)])
        XCTAssertTrue(t.holdsResponse)
        XCTAssertEqual(.of(t.receiveACK(TestMessages.request(.ack))), [.cancel(.g), .cancel(.h), .start(.i, .seconds(5))])
        XCTAssertEqual(t.state, .confirmed)
        XCTAssertFalse(t.holdsResponse, "Confirmed never sends the final again: it is let go")
        XCTAssertEqual(t.receiveACK(TestMessages.request(.ack)), [], "ACK retransmissions are absorbed")
        XCTAssertEqual(.of(t.timerFired(.i)), [.terminate])
    }

    func testTimerHWithoutACKTimesOut() {
        var t = ServerInviteTransaction(request: invite, reliability: .reliable)
        XCTAssertEqual(.of(t.send(TestMessages.response(404, to: invite))), [.sendResponse(404), .start(.h, .seconds(32))])
        XCTAssertEqual(.of(t.timerFired(.h)), [.cancel(.g), .timedOut, .terminate])
    }

    func test2xxIsRetransmittedUntilItsACK() {
        var t = ServerInviteTransaction(request: invite, reliability: .unreliable)
        XCTAssertEqual(.of(t.send(TestMessages.response(200, to: invite))),
                       [.sendResponse(200), .start(.l, .seconds(32)), .start(.answerRetransmit, .milliseconds(500))])
        XCTAssertEqual(t.receiveRetransmission(), [], "Accepted absorbs retransmitted INVITEs")
        XCTAssertEqual(.of(t.timerFired(.answerRetransmit)), [.sendResponse(200), .start(.answerRetransmit, .seconds(1))])
        let ack = TestMessages.request(.ack, branch: "z9hG4bKother")
        XCTAssertTrue(t.holdsResponse, "kept for its retransmissions")
        XCTAssertEqual(.of(t.receiveACK(ack)), [.cancel(.answerRetransmit), .deliverACK])
        XCTAssertFalse(t.holdsResponse, "the acknowledged 2xx is let go, not held until Timer L")
        XCTAssertEqual(t.receiveRetransmission(), [], "a late INVITE retransmission is still absorbed")
        XCTAssertEqual(t.receiveACK(ack), [], "the ACK reaches the TU once")
        XCTAssertEqual(t.timerFired(.answerRetransmit), [])
        XCTAssertEqual(.of(t.timerFired(.l)), [.terminate])
    }

    func test2xxNeverAcknowledgedTimesOut() {
        var t = ServerInviteTransaction(request: invite, reliability: .unreliable)
        _ = t.send(TestMessages.response(200, to: invite))
        XCTAssertEqual(.of(t.timerFired(.l)), [.cancel(.answerRetransmit), .timedOut, .terminate])
    }
}

final class ServerNonInviteTransactionTests: XCTestCase {
    let bye = TestMessages.request(.bye, toTag: "uas1")

    func testTryingAbsorbsThenCompletedReplaysFinal() {
        var t = ServerNonInviteTransaction(request: bye, reliability: .unreliable)
        XCTAssertEqual(t.receiveRetransmission(), [])
        XCTAssertEqual(.of(t.send(TestMessages.response(200, to: bye))), [.sendResponse(200), .start(.j, .seconds(32))])
        XCTAssertEqual(.of(t.receiveRetransmission()), [.sendResponse(200)])
        XCTAssertEqual(t.send(TestMessages.response(500, to: bye)), [], "one final response only")
        XCTAssertEqual(.of(t.timerFired(.j)), [.terminate])
    }

    func testReliableTimerJIsZero() {
        var t = ServerNonInviteTransaction(request: bye, reliability: .reliable)
        XCTAssertEqual(.of(t.send(TestMessages.response(200, to: bye))), [.sendResponse(200), .start(.j, .zero)])
    }
}
