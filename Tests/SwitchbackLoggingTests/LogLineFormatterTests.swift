import Foundation
import XCTest
@testable import SwitchbackLogging

/// The three line styles, field order, escaping and redaction, checked on the bytes.
final class LogLineFormatterTests: XCTestCase {
    /// 2026-12-05T22:52:24.123Z
    private let time = LogLineFormatter.Timestamp(seconds: 1_796_511_144, nanoseconds: 123_456_789)

    private func line(_ style: LogLineFormatter.Style, severity: LogSeverity = .info, message: String = "call received",
                      _ fields: [(key: String, value: String)]) -> String {
        var buffer: [UInt8] = []
        LogLineFormatter(style: style).format(into: &buffer, time: time, severity: severity, label: "switchback",
                                              message: message, fields: fields)
        return String(decoding: buffer, as: UTF8.self)
    }

    func testJSONHasFixedKeyOrderWithCallIDFirst() {
        let text = line(.json, [("to", "100"), ("from", "5551234"), ("call-id", "a1@host"), ("by", "caller")])
        XCTAssertEqual(text, #"{"time":"2026-12-05T22:52:24.123Z","level":"info","label":"switchback","message":"call received","#
            + #""call-id":"a1@host","by":"caller","from":"5551234","to":"100"}"# + "\n")
    }

    func testJSONEscapesWhatJSONNeedsAndParsesBack() throws {
        let nasty = "quote \" backslash \\ newline \n tab \t bell \u{07} del \u{7F} ümlaut 🎉"
        let text = line(.json, message: nasty, [("reason", nasty), ("key \"x\"", "v")])
        XCTAssertEqual(text.filter { $0 == "\n" }.count, 1, "one line: \(text)")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: String])
        XCTAssertEqual(object["message"], nasty)
        XCTAssertEqual(object["reason"], nasty)
        XCTAssertEqual(object["key \"x\""], "v")
        XCTAssertTrue(text.contains(#"\u0007"#) && text.contains(#"\u007f"#), text)
    }

    func testTextQuotesValuesThatWouldSplitAndNeverBreaksTheLine() {
        let text = line(.text, severity: .warning, message: "call refused", [("reason", "Not Found"), ("status", "404"),
                                                                               ("empty", ""), ("evil", "a\nb=c")])
        XCTAssertEqual(text, #"2026-12-05T22:52:24.123Z warning call refused empty="" evil="a\nb=c" reason="Not Found" status=404"#
            + "\n")
    }

    func testJournalStyleCarriesThePriorityAndNoTime() {
        XCTAssertEqual(line(.journal, severity: .info, [("call-id", "x")]), "<6>call received call-id=x\n")
        XCTAssertEqual(line(.journal, severity: .debug, []), "<7>call received\n")
        XCTAssertEqual(line(.journal, severity: .warning, []), "<4>call received\n")
        XCTAssertEqual(line(.journal, severity: .critical, []), "<2>call received\n")
    }

    func testSecretsAreRedactedInEveryStyle() {
        let fields: [(key: String, value: String)] = [("password", "hunter2"), ("PIN", "1234"), ("response", "6629fae49393a053"),
                                                      ("authorization", "Digest username=\"a\", response=\"6629\"")]
        for style in LogLineFormatter.Style.allCases {
            let text = line(style, fields)
            for secret in ["hunter2", "1234", "6629"] {
                XCTAssertFalse(text.contains(secret), "\(style) leaks \(secret): \(text)")
            }
            XCTAssertTrue(text.contains(LogRedaction.placeholder), text)
        }
    }

    func testADuplicateKeyKeepsTheLastValue() {
        XCTAssertEqual(LogLineFormatter.ordered([("b", "1"), ("a", "2"), ("b", "3")]).map { "\($0.key)=\($0.value)" },
                       ["a=2", "b=3"])
    }

    func testTimestampsAcrossCalendarEdges() {
        func stamp(_ seconds: Int, _ nanoseconds: Int = 0) -> String {
            var buffer: [UInt8] = []
            LogLineFormatter.appendTimestamp(.init(seconds: seconds, nanoseconds: nanoseconds), to: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
        XCTAssertEqual(stamp(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(stamp(951_782_400), "2000-02-29T00:00:00.000Z")
        XCTAssertEqual(stamp(1_709_251_199, 999_999_999), "2024-02-29T23:59:59.999Z")
        XCTAssertEqual(stamp(4_102_444_800), "2100-01-01T00:00:00.000Z")
        // Every day of four years against the C library's gmtime_r.
        for day in stride(from: 19_000, to: 19_000 + 4 * 366, by: 1) {
            var time = day * 86_400 + 3_723
            var parts = tm()
            gmtime_r(&time, &parts)
            let expected = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.000Z", parts.tm_year + 1900, parts.tm_mon + 1,
                                  parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec)
            XCTAssertEqual(stamp(time), expected)
        }
    }
}
