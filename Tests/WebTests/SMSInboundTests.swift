import Foundation
import Store
import Switchboard
@testable import Web
import XCTest

/// The inbound SMS edge without sockets: the request shapes gateways use, and which
/// gateway a request proves itself to be.
final class SMSInboundTests: XCTestCase {
    func testKannelGetURLFieldsDecodeAsAForm() throws {
        let fields = InboundSMSRequest.formFields("gateway=kannel&secret=s&sender=%2B4930111&receiver=7700&text=U.alice+P.x+D.555&time=2026-12-05+23%3A23%3A17")
        let request = InboundSMSRequest(fields: fields)
        let message = try request.message(gateway: "kannel")
        XCTAssertEqual(message.sender, "+4930111")
        XCTAssertEqual(message.receiver, "7700")
        XCTAssertEqual(message.text, "U.alice P.x D.555")
        XCTAssertEqual(message.time, Date(timeIntervalSince1970: 1_796_512_997))
        XCTAssertEqual(request.gateway, "kannel")
        XCTAssertEqual(request.secret, "s")
    }

    func testGenericJSONNamesAndMissingFieldsAreNamed() throws {
        let fields = try InboundSMSRequest.jsonFields(#"{"from":"4930111","to":"7700","message":"I.","timestamp":1796512997000}"#)
        let message = try InboundSMSRequest(fields: fields).message(gateway: "g")
        XCTAssertEqual(message.sender, "4930111")
        XCTAssertEqual(message.text, "I.")
        XCTAssertEqual(message.time, Date(timeIntervalSince1970: 1_796_512_997))
        XCTAssertThrowsError(try InboundSMSRequest(fields: ["to": "7700", "text": "I."]).message(gateway: "g")) {
            XCTAssertTrue("\($0)".contains("sender"), "\($0)")
        }
        XCTAssertThrowsError(try InboundSMSRequest(fields: ["from": "1", "text": "I."]).message(gateway: "g")) {
            XCTAssertTrue("\($0)".contains("receiver"), "\($0)")
        }
        XCTAssertThrowsError(try InboundSMSRequest.jsonFields("[1]"))
        XCTAssertThrowsError(try InboundSMSRequest.jsonFields(#"{"from": {"x": 1}}"#))
    }

    func testAGatewayMustShowItsSecretAndComeFromItsSources() {
        var sms = SwitchbackConfiguration.SMS()
        sms.gateways = [.init(name: "kannel", secret: "0123456789", sources: ["127.0.0.1"]),
                        .init(name: "phone", sources: ["192.0.2.7"])]
        func check(_ name: String?, _ secret: String?, _ address: String?) -> Int {
            switch SMSGatewayCheck.gateway(named: name, secret: secret, remoteAddress: address, in: sms) {
            case .success: return 0
            case .failure(let refusal): return refusal.status
            }
        }
        XCTAssertEqual(check("kannel", "0123456789", "127.0.0.1"), 0)
        XCTAssertEqual(check("kannel", "0123456789", "::ffff:127.0.0.1"), 0)
        XCTAssertEqual(check("kannel", "wrong", "127.0.0.1"), 403)
        XCTAssertEqual(check("kannel", nil, "127.0.0.1"), 403)
        XCTAssertEqual(check("kannel", "0123456789", "192.0.2.9"), 403)
        XCTAssertEqual(check("phone", nil, "192.0.2.7"), 0)
        XCTAssertEqual(check("phone", nil, "192.0.2.8"), 403)
        XCTAssertEqual(check("other", nil, "192.0.2.7"), 403)
        XCTAssertEqual(check(nil, nil, "192.0.2.7"), 400, "two gateways: the request must name its own")
        sms.gateways.removeLast()
        XCTAssertEqual(check(nil, "0123456789", "127.0.0.1"), 0, "the only gateway needs no name")
    }

    func testSendSMSURLEscapesEverythingButUnreservedCharacters() {
        let sms = OutboundSMS(gateway: "kannel", sender: "7700", recipient: "+4930111",
                              text: "Error in 'hello': use U. P. & co", accountID: nil, nextAttemptAt: Date(), createdAt: Date())
        XCTAssertEqual(KannelSendSMSClient.url(base: "http://127.0.0.1:13013/cgi-bin/sendsms", username: "sb", password: "p w",
                                               sms: sms),
                       "http://127.0.0.1:13013/cgi-bin/sendsms?username=sb&password=p%20w&from=7700&to=%2B4930111"
                           + "&text=Error%20in%20%27hello%27%3A%20use%20U.%20P.%20%26%20co&charset=UTF-8")
    }
}
