import XCTest
@testable import Switchboard

/// The caller ID a forward presents: script > campaign > forwarded caller > trunk > anonymous.
final class ForwardCallerIDRuleTests: XCTestCase {
    func testPrecedence() {
        struct Row {
            var rule: CallerIDRule
            var script: String?
            var caller: String
            var trunk: String?
            var expected: String
            var line: UInt
        }
        let rows: [Row] = [
            Row(rule: .init(), script: "111", caller: "5551234", trunk: "999", expected: "111", line: #line),
            Row(rule: .init(campaignCallerID: "222"), script: "111", caller: "5551234", trunk: "999", expected: "111", line: #line),
            Row(rule: .init(campaignCallerID: "222"), script: nil, caller: "5551234", trunk: "999", expected: "222", line: #line),
            Row(rule: .init(campaignCallerID: "222", forwardCallerID: false), script: nil, caller: "5551234", trunk: "999",
                expected: "222", line: #line),
            Row(rule: .init(), script: nil, caller: "5551234", trunk: "999", expected: "5551234", line: #line),
            Row(rule: .init(forwardCallerID: false), script: nil, caller: "5551234", trunk: "999", expected: "999", line: #line),
            Row(rule: .init(), script: nil, caller: "", trunk: "999", expected: "999", line: #line),
            Row(rule: .init(), script: "", caller: "", trunk: nil, expected: "", line: #line),
            Row(rule: .init(campaignCallerID: ""), script: nil, caller: "5551234", trunk: nil, expected: "5551234", line: #line),
            Row(rule: .init(forwardCallerID: false), script: nil, caller: "5551234", trunk: nil, expected: "", line: #line),
        ]
        for row in rows {
            XCTAssertEqual(row.rule.presented(scriptCallerID: row.script, aLegCaller: row.caller, trunkCallerID: row.trunk),
                           row.expected, line: row.line)
        }
    }
}
