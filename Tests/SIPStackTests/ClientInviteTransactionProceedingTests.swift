import SIP
import SIPStack
import XCTest

/// RFC 3261 §17.1.1.2: Timer B only ends an INVITE still in Calling; once a provisional
/// arrived, the TU decides how long it may ring (its ring time-out and CANCEL).
final class ClientInviteTransactionProceedingTests: XCTestCase {
    func testTimerBDoesNotEndAnInviteThatIsRinging() {
        let invite = TestMessages.request(.invite)
        var t = ClientInviteTransaction(request: invite, reliability: .unreliable)
        _ = t.start()
        _ = t.receive(TestMessages.response(180, to: invite))
        XCTAssertEqual(t.timerFired(.b), [], "ringing for longer than 64·T1 is allowed")
        XCTAssertEqual(t.state, .proceeding)
        XCTAssertEqual(.of(t.receive(TestMessages.response(487, to: invite))),
                       [.cancel(.a), .cancel(.b), .sendRequest("ACK"), .deliverResponse(487), .start(.d, .seconds(32))])
    }
}
