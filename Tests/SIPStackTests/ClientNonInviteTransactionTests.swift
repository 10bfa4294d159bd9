import SIP
import SIPStack
import XCTest

/// RFC 3261 §17.1.2.
final class ClientNonInviteTransactionTests: XCTestCase {
    let bye = TestMessages.request(.bye, toTag: "uas1")

    func testTimerECapsAtT2() {
        var t = ClientNonInviteTransaction(request: bye, reliability: .unreliable)
        XCTAssertEqual(.of(t.start()), [.sendRequest("BYE"), .start(.e, .milliseconds(500)), .start(.f, .seconds(32))])
        XCTAssertEqual(.of(t.timerFired(.e)), [.sendRequest("BYE"), .start(.e, .seconds(1))])
        XCTAssertEqual(.of(t.timerFired(.e)), [.sendRequest("BYE"), .start(.e, .seconds(2))])
        XCTAssertEqual(.of(t.timerFired(.e)), [.sendRequest("BYE"), .start(.e, .seconds(4))])
        XCTAssertEqual(.of(t.timerFired(.e)), [.sendRequest("BYE"), .start(.e, .seconds(4))])
    }

    func testProceedingRetransmitsAtT2() {
        var t = ClientNonInviteTransaction(request: bye, reliability: .unreliable)
        _ = t.start()
        XCTAssertEqual(.of(t.receive(TestMessages.response(100, to: bye))), [.deliverResponse(100)])
        XCTAssertEqual(.of(t.timerFired(.e)), [.sendRequest("BYE"), .start(.e, .seconds(4))])
    }

    func testFinalResponseCompletesThenTimerKTerminates() {
        var t = ClientNonInviteTransaction(request: bye, reliability: .unreliable)
        _ = t.start()
        XCTAssertEqual(.of(t.receive(TestMessages.response(200, to: bye))), [.cancel(.e), .cancel(.f), .deliverResponse(200), .start(.k, .seconds(5))])
        XCTAssertEqual(t.receive(TestMessages.response(200, to: bye)), [], "retransmitted finals are absorbed")
        XCTAssertEqual(t.timerFired(.e), [])
        XCTAssertEqual(.of(t.timerFired(.k)), [.terminate])
    }

    func testTimerFTimesOut() {
        var t = ClientNonInviteTransaction(request: bye, reliability: .reliable)
        XCTAssertEqual(.of(t.start()), [.sendRequest("BYE"), .start(.f, .seconds(32))])
        XCTAssertEqual(.of(t.timerFired(.f)), [.cancel(.e), .timedOut, .terminate])
    }

    func testReliableTransportHasZeroTimerK() {
        var t = ClientNonInviteTransaction(request: bye, reliability: .reliable)
        _ = t.start()
        XCTAssertEqual(.of(t.receive(TestMessages.response(481, to: bye))), [.cancel(.e), .cancel(.f), .deliverResponse(481), .start(.k, .zero)])
    }
}
