import SIP
import SIPStack
import XCTest

/// RFC 3261 §12: dialog creation and in-dialog requests.
final class SIPDialogTests: XCTestCase {
    func testUASDialogBuildsBYEToTheContactWithSwappedURIs() throws {
        var invite = TestMessages.request(.invite)
        invite.headers.add("Record-Route", "<sip:proxy.example;lr>")
        var dialog = try XCTUnwrap(SIPDialog(uasFor: invite, localTag: "ours"))
        XCTAssertEqual(dialog.id, SIPDialog.ID(callID: "call-1@192.0.2.10", localTag: "ours", remoteTag: "from1"))
        let first = dialog.localSequence
        let bye = dialog.makeRequest(.bye)
        XCTAssertEqual(bye.uri.host, "192.0.2.10")
        XCTAssertEqual(bye.uri.port, 5070)
        XCTAssertEqual(bye.from?.tag, "ours")
        XCTAssertEqual(bye.to?.tag, "from1")
        XCTAssertEqual(bye.cseq?.sequence, first + 1)
        XCTAssertEqual(bye.routes.first?.uri.host, "proxy.example")
        XCTAssertEqual(dialog.nextHop.host, "proxy.example")
    }

    func testRemoteSequenceMustGrow() throws {
        let invite = TestMessages.request(.invite, cseq: 5)
        var dialog = try XCTUnwrap(SIPDialog(uasFor: invite, localTag: "ours"))
        XCTAssertFalse(dialog.acceptRemoteSequence(of: TestMessages.request(.bye, cseq: 5, toTag: "ours")))
        XCTAssertTrue(dialog.acceptRemoteSequence(of: TestMessages.request(.bye, cseq: 6, toTag: "ours")))
    }

    func testIncomingInDialogRequestIdentifiesTheDialog() {
        let bye = TestMessages.request(.bye, toTag: "ours")
        XCTAssertEqual(SIPDialog.ID(incoming: bye), SIPDialog.ID(callID: "call-1@192.0.2.10", localTag: "ours", remoteTag: "from1"))
        XCTAssertNil(SIPDialog.ID(incoming: TestMessages.request(.invite)))
    }
}
