import SIP
import SIPStack
import XCTest

/// §17.1.3 / §17.2.3 matching, §18.2.1 Via stamping, §18.2.2 response routing.
final class TransactionKeyTests: XCTestCase {
    func testACKMatchesItsInviteAndCancelHasItsOwnTransaction() {
        let invite = TestMessages.request(.invite)
        let ack = TestMessages.request(.ack)
        let cancel = TestMessages.request(.cancel)
        XCTAssertEqual(TransactionKey.server(for: ack), TransactionKey.server(for: invite))
        XCTAssertNotEqual(TransactionKey.server(for: cancel), TransactionKey.server(for: invite))
        XCTAssertEqual(TransactionKey.cancelledInvite(by: cancel), TransactionKey.server(for: invite))
    }

    func testDifferentBranchIsDifferentTransaction() {
        XCTAssertNotEqual(TransactionKey.server(for: TestMessages.request(.invite, branch: "z9hG4bK1")),
                          TransactionKey.server(for: TestMessages.request(.invite, branch: "z9hG4bK2")))
    }

    func testRFC2543BranchFallsBackToDialogFields() {
        let a = TestMessages.request(.invite, branch: "oldstyle", cseq: 1)
        let b = TestMessages.request(.invite, branch: "oldstyle", cseq: 2)
        XCTAssertNotEqual(TransactionKey.server(for: a), TransactionKey.server(for: b))
    }

    func testResponseMatchesClientTransactionByBranchAndMethod() {
        let bye = TestMessages.request(.bye, toTag: "t")
        let ok = TestMessages.response(200, to: bye)
        XCTAssertEqual(TransactionKey.client(for: ok), TransactionKey.client(for: bye))
    }

    func testRportAndReceivedAreStampedAndUsedForRouting() {
        var request = TestMessages.request(.invite)
        ViaStamping.stamp(&request, sourceHost: "203.0.113.7", sourcePort: 40000)
        XCTAssertEqual(request.topVia?.received, "203.0.113.7")
        XCTAssertEqual(request.topVia?.rport, .value(40000))
        let response = SIPResponse(replyingTo: request, statusCode: 200, toTag: "x")
        XCTAssertEqual(ResponseRouting.destination(for: response), .init(host: "203.0.113.7", port: 40000))
    }

    func testWithoutRportResponsesGoToReceivedAtSentByPort() {
        var request = TestMessages.request(.invite)
        request.headers.set("Via", "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bKx")
        ViaStamping.stamp(&request, sourceHost: "198.51.100.1", sourcePort: 1234)
        let response = SIPResponse(replyingTo: request, statusCode: 200, toTag: "x")
        XCTAssertEqual(ResponseRouting.destination(for: response), .init(host: "198.51.100.1", port: 5070))
    }
}
