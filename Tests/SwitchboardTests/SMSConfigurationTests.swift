import Foundation
@testable import Switchboard
import XCTest

/// The `sms:` section: gateways must prove themselves, service numbers name campaigns and
/// gateways that exist, limits have safe defaults, and every mistake names its key.
final class SMSConfigurationTests: XCTestCase {
    private let campaigns = """
    campaigns:
      sms-callback: { script: scripts/sms-callback.yaml }
    """

    func testDefaultsAreSafe() {
        let sms = SwitchbackConfiguration.embeddedDefaults().sms
        XCTAssertTrue(sms.gateways.isEmpty)
        XCTAssertTrue(sms.numbers.isEmpty)
        XCTAssertEqual(sms.limits.perMinutePerSender, 5)
        XCTAssertEqual(sms.limits.perHourPerSender, 30)
        XCTAssertEqual(sms.limits.perMinutePerAccount, 10)
        XCTAssertEqual(sms.limits.perHourPerAccount, 60)
        XCTAssertEqual(sms.lockout.attempts, 5)
        XCTAssertEqual(sms.lockout.period, .seconds(900))
        XCTAssertEqual(SMSReplyRetryPolicy(sms.replyRetry), SMSReplyRetryPolicy(attempts: 30, backoff: .seconds(2),
                                                                               maxBackoff: .seconds(300)))
    }

    func testEveryKeyIsRead() throws {
        let c = try ConfigurationLoader.parse(yaml: """
        \(campaigns)
        sms:
          gateways:
            - name: kannel
              secret: "0123456789"
              sources: ["127.0.0.1", "::1"]
              sendsms: http://127.0.0.1:13013/cgi-bin/sendsms
              username: sb
              password: pw
            - { name: forwarder, sources: ["192.0.2.7"] }
          numbers:
            "7700": { campaign: sms-callback }
            "7701": { campaign: sms-callback, gateway: forwarder }
          limits: { per-minute-per-sender: 2, per-hour-per-sender: 3, per-minute-per-account: 4, per-hour-per-account: 5 }
          lockout: { attempts: 3, period: 10m }
          reply-retry: { attempts: 4, backoff: 500ms, max-backoff: 1m }
        """, file: "sms.yaml")
        XCTAssertEqual(c.sms.gateways, [
            .init(name: "kannel", secret: "0123456789", sources: ["127.0.0.1", "::1"],
                  sendSMS: "http://127.0.0.1:13013/cgi-bin/sendsms", username: "sb", password: "pw"),
            .init(name: "forwarder", sources: ["192.0.2.7"]),
        ])
        XCTAssertEqual(c.sms.numbers["7700"], .init(campaign: "sms-callback"))
        XCTAssertEqual(c.sms.numbers["7701"], .init(campaign: "sms-callback", gateway: "forwarder"))
        XCTAssertEqual([c.sms.limits.perMinutePerSender, c.sms.limits.perHourPerSender, c.sms.limits.perMinutePerAccount,
                        c.sms.limits.perHourPerAccount], [2, 3, 4, 5])
        XCTAssertEqual(c.sms.lockout.attempts, 3)
        XCTAssertEqual(c.sms.lockout.period, .seconds(600))
        XCTAssertEqual(c.sms.replyRetry.attempts, 4)
        XCTAssertEqual(c.sms.replyRetry.backoff, .milliseconds(500))
        XCTAssertEqual(c.sms.replyRetry.maxBackoff, .seconds(60))
    }

    func testMistakesAreNamed() {
        let cases: [(String, String, String)] = [
            ("gateways: [{ name: open }]", "sms.gateways[0]", "needs a secret or a sources list"),
            ("gateways: [{ name: k, secret: short }]", "sms.gateways[0].secret", "at least 8 characters"),
            ("gateways: [{ name: k, secret: '0123456789', sendsms: 'ftp://x' }]", "sms.gateways[0].sendsms", "http(s) URL"),
            ("gateways: [{ name: k, secret: '0123456789', colour: red }]", "sms.gateways[0].colour", "unknown key"),
            ("gateways: [{ name: k, secret: '0123456789' }, { name: k, sources: [x] }]", "sms.gateways[1].name", "named twice"),
            ("gateways: [{ name: k, secret: '0123456789' }]\n  numbers: { '7700': { campaign: nope } }",
             "sms.numbers.7700.campaign", "unknown campaign 'nope'"),
            ("gateways: [{ name: k, secret: '0123456789' }]\n  numbers: { '7700': { campaign: sms-callback, gateway: x } }",
             "sms.numbers.7700.gateway", "unknown gateway 'x'"),
            ("numbers: { '7700': { campaign: sms-callback } }", "sms.gateways", "at least one gateway"),
            ("limits: { per-minute-per-sender: 0 }", "sms.limits.per-minute-per-sender", "at least 1"),
            ("lockout: { period: forever }", "sms.lockout.period", "expected a duration"),
            ("reply-retry: { attempts: 0 }", "sms.reply-retry.attempts", "at least 1"),
        ]
        for (yaml, path, message) in cases {
            XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: "\(campaigns)\nsms:\n  \(yaml)\n", file: "bad.yaml"), yaml) {
                guard let error = $0 as? ConfigurationError else { return XCTFail("\($0)") }
                XCTAssertEqual(error.path, path, yaml)
                XCTAssertTrue(error.message.contains(message), "\(yaml): \(error.message)")
            }
        }
    }
}
