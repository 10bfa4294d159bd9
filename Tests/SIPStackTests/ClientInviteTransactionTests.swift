import SIP
import SIPStack
import XCTest

/// RFC 3261 §17.1.1 (with RFC 6026), driven by events; timers are inputs.
final class ClientInviteTransactionTests: XCTestCase {
    let invite = TestMessages.request(.invite)

    func testRetransmitsWithTimerADoublingUntilTimerB() {
        var t = ClientInviteTransaction(request: invite, reliability: .unreliable)
        XCTAssertEqual(.of(t.start()), [.sendRequest("INVITE"), .start(.a, .milliseconds(500)), .start(.b, .seconds(32))])
        XCTAssertEqual(.of(t.timerFired(.a)), [.sendRequest("INVITE"), .start(.a, .seconds(1))])
        XCTAssertEqual(.of(t.timerFired(.a)), [.sendRequest("INVITE"), .start(.a, .seconds(2))])
        XCTAssertEqual(.of(t.timerFired(.b)), [.cancel(.a), .timedOut, .terminate])
        XCTAssertEqual(t.state, .terminated)
    }

    func testReliableTransportArmsNoTimerA() {
        var t = ClientInviteTransaction(request: invite, reliability: .reliable)
        XCTAssertEqual(.of(t.start()), [.sendRequest("INVITE"), .start(.b, .seconds(32))])
    }

    func testProvisionalStopsRetransmissionAndFinalNon2xxIsAcknowledged() {
        var t = ClientInviteTransaction(request: invite, reliability: .unreliable)
        _ = t.start()
        XCTAssertEqual(.of(t.receive(TestMessages.response(180, to: invite))), [.cancel(.a), .deliverResponse(180)])
        XCTAssertEqual(t.state, .proceeding)
        XCTAssertEqual(t.timerFired(.a), [], "timer A is meaningless in Proceeding")
        let busy = TestMessages.response(486, to: invite)
        XCTAssertEqual(.of(t.receive(busy)), [.cancel(.a), .cancel(.b), .sendRequest("ACK"), .deliverResponse(486), .start(.d, .seconds(32))])
        XCTAssertEqual(t.state, .completed)
        // A retransmitted 486 is ACKed again and not shown to the TU.
        XCTAssertEqual(.of(t.receive(busy)), [.sendRequest("ACK")])
        XCTAssertEqual(.of(t.timerFired(.d)), [.terminate])
    }

    func testACKForNon2xxCopiesViaAndTakesToTagFromResponse() {
        let t = ClientInviteTransaction(request: invite, reliability: .unreliable)
        let ack = t.ack(for: TestMessages.response(603, to: invite, toTag: "x9"))
        XCTAssertEqual(ack.method, .ack)
        XCTAssertEqual(ack.topVia?.branch, invite.topVia?.branch)
        XCTAssertEqual(ack.to?.tag, "x9")
        XCTAssertEqual(ack.cseq, SIPCSeq(sequence: 1, method: .ack))
        XCTAssertEqual(ack.uri, invite.uri)
    }

    func test2xxMovesToAcceptedAndRetransmitted2xxStillReachesTheUser() {
        var t = ClientInviteTransaction(request: invite, reliability: .unreliable)
        _ = t.start()
        let ok = TestMessages.response(200, to: invite)
        XCTAssertEqual(.of(t.receive(ok)), [.cancel(.a), .cancel(.b), .start(.m, .seconds(32)), .deliverResponse(200)])
        XCTAssertEqual(.of(t.receive(ok)), [.deliverResponse(200)])
        XCTAssertEqual(.of(t.timerFired(.m)), [.terminate])
    }

    func testTransportFailureTimesOut() {
        var t = ClientInviteTransaction(request: invite, reliability: .reliable)
        _ = t.start()
        XCTAssertEqual(.of(t.transportFailed()), [.cancel(.a), .cancel(.b), .timedOut, .terminate])
        XCTAssertEqual(t.transportFailed(), [])
    }
}
