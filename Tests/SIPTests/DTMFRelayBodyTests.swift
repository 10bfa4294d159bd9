@testable import SIP
import XCTest

/// SIP INFO DTMF bodies (`application/dtmf-relay`, `application/dtmf`).
final class DTMFRelayBodyTests: XCTestCase {
    func testCiscoDTMFRelay() {
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "Signal=5\r\nDuration=160\r\n", contentType: "application/dtmf-relay"), "5")
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "Signal= *\r\nDuration= 250\r\n", contentType: "application/dtmf-relay"), "*")
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "Signal=#\nDuration=100", contentType: "Application/DTMF-Relay"), "#")
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "signal = d\r\n", contentType: "application/dtmf-relay; charset=utf-8"), "D")
    }

    func testEventCodesUsedBySomeGateways() {
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "Signal=10\r\nDuration=160", contentType: "application/dtmf-relay"), "*")
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "Signal=11\r\nDuration=160", contentType: "application/dtmf-relay"), "#")
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "Signal=12", contentType: "application/dtmf-relay"), "A")
    }

    func testPlainApplicationDTMF() {
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "5", contentType: "application/dtmf"), "5")
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "#\r\n", contentType: "application/dtmf"), "#")
        XCTAssertEqual(DTMFRelayBody.digit(fromBody: "11", contentType: "application/dtmf"), "#")
    }

    func testRejectsWhatIsNotAKey() {
        XCTAssertNil(DTMFRelayBody.digit(fromBody: "Signal=5", contentType: "application/sdp"))
        XCTAssertNil(DTMFRelayBody.digit(fromBody: "Duration=160", contentType: "application/dtmf-relay"))
        XCTAssertNil(DTMFRelayBody.digit(fromBody: "Signal=16", contentType: "application/dtmf-relay"), "flash")
        XCTAssertNil(DTMFRelayBody.digit(fromBody: "Signal=55", contentType: "application/dtmf-relay"))
        XCTAssertNil(DTMFRelayBody.digit(fromBody: "", contentType: "application/dtmf"))
        XCTAssertNil(DTMFRelayBody.digit(fromBody: "x", contentType: "application/dtmf"))
    }
}
