import XCTest
@testable import IVR

final class ScriptLoaderTests: XCTestCase {
    let calling = """
    script: sample
    language: en
    start: ask
    nodes:
      ask:
        do: collect
        prompt: enter-digits
        digits: 4..8
        terminator: "#"
        timeout: 6s
        inter-digit-timeout: 1500ms
        pattern: "[1-9][0-9]*"
        store: number
        attempts: 2
        on: { ok: bye, exhausted: bye }
      bye:
        do: hangup
        prompt: [goodbye]
        cause: busy
    """

    func testLoadsTypedTreeWithLocations() throws {
        let script = try ScriptLoader.load(yaml: calling, file: "sample.yaml")
        XCTAssertEqual(script.name.value, "sample")
        XCTAssertEqual(script.start.location, SourceLocation(file: "sample.yaml", line: 3, column: 8))
        XCTAssertEqual(script.nodes.map(\.name), ["ask", "bye"])
        let ask = try XCTUnwrap(script.node(named: "ask"))
        XCTAssertEqual(ask.location, SourceLocation(file: "sample.yaml", line: 5, column: 3))
        guard case .collect(let collect) = ask.verb else { return XCTFail("ask should be a collect") }
        XCTAssertEqual(collect.minDigits, 4)
        XCTAssertEqual(collect.maxDigits, 8)
        XCTAssertEqual(collect.terminator, "#")
        XCTAssertEqual(collect.firstDigitTimeoutMilliseconds, 6000)
        XCTAssertEqual(collect.interDigitTimeoutMilliseconds, 1500)
        XCTAssertEqual(collect.attempts, 2)
        XCTAssertEqual(collect.variable.value, "number")
        XCTAssertEqual(collect.prompts.first?.location, SourceLocation(file: "sample.yaml", line: 7, column: 13))
        XCTAssertEqual(ask.target(for: "ok")?.value, "bye")
        XCTAssertEqual(ask.target(for: "ok")?.location.line, 15)
        guard case .hangup(let hangup) = try XCTUnwrap(script.node(named: "bye")).verb else { return XCTFail("bye") }
        XCTAssertEqual(hangup.cause, .busy)
        XCTAssertEqual(hangup.prompts.map(\.value), ["goodbye"])
    }

    func testLoadsFileFromDisk() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ivr-loader-\(UUID().uuidString).yaml")
        try calling.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let script = try ScriptLoader.load(contentsOf: url)
        XCTAssertEqual(script.file, url.path)
        XCTAssertEqual(script.nodes.count, 2)
    }

    func testMissingFileIsAScriptError() {
        XCTAssertThrowsError(try ScriptLoader.load(contentsOf: URL(fileURLWithPath: "/nonexistent/x.yaml"))) { error in
            XCTAssertTrue("\(error)".hasPrefix("/nonexistent/x.yaml:1:1: error: cannot read the file"), "\(error)")
        }
    }

    /// Each broken script gives one error at the exact place.
    func assertError(_ yaml: String, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ScriptLoader.load(yaml: yaml, file: "bad.yaml"), file: file, line: line) { error in
            XCTAssertTrue(error is ScriptError, file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix(expected), "got: \(error)", file: file, line: line)
        }
    }

    let header = "script: t\nstart: a\nnodes:\n"

    func testUnknownVerb() {
        assertError(header + "  a:\n    do: plya\n    prompt: x\n",
                    "bad.yaml:5:9: error: unknown verb 'plya' (did you mean 'play'?)")
    }

    func testUnknownOption() {
        assertError(header + "  a:\n    do: play\n    promt: x\n",
                    "bad.yaml:6:5: error: unknown key 'promt' in node 'a' (did you mean 'prompt'?)")
    }

    func testUnknownTargetNode() {
        assertError(header + "  a:\n    do: play\n    prompt: x\n    next: b\n",
                    "bad.yaml:7:11: error: outcome 'next' of node 'a' names node 'b', which does not exist")
    }

    func testUnknownStartNode() {
        assertError("script: t\nstart: zz\nnodes:\n  a: { do: hangup }\n",
                    "bad.yaml:2:8: error: 'start' names node 'zz', which does not exist")
    }

    func testDigitRangeOutOfRange() {
        assertError(header + "  a:\n    do: collect\n    digits: 8..4\n    store: x\n    on: { ok: a }\n",
                    "bad.yaml:6:13: error: 'digits' range 8..4 is empty")
        assertError(header + "  a:\n    do: collect\n    digits: 1..99\n    store: x\n    on: { ok: a }\n",
                    "bad.yaml:6:13: error: 'digits' must be a count or a range such as 4..8 with counts from 0 to 32")
    }

    func testTimeoutOutOfRange() {
        assertError(header + "  a:\n    do: collect\n    digits: 4\n    timeout: 10m\n    store: x\n    on: { ok: a }\n",
                    "bad.yaml:7:14: error: 'timeout' must be between 500ms and 120s, not 10m")
        assertError(header + "  a:\n    do: collect\n    digits: 4\n    timeout: soon\n    store: x\n    on: { ok: a }\n",
                    "bad.yaml:7:14: error: 'timeout' must be a duration")
    }

    func testCollectNeedsOk() {
        assertError(header + "  a:\n    do: collect\n    digits: 4\n    store: x\n    on: { timeout: a }\n",
                    "bad.yaml:8:5: error: node 'a' (collect) needs a target for outcome 'ok' under 'on'")
    }

    func testUnknownOutcome() {
        assertError(header + "  a:\n    do: collect\n    digits: 4\n    store: x\n    on: { ok: a, busy: a }\n",
                    "bad.yaml:8:18: error: unknown key 'busy' in 'on' of node 'a' (collect)")
    }

    func testBadPattern() {
        assertError(header + "  a:\n    do: collect\n    digits: 4\n    pattern: \"[0-9\"\n    store: x\n    on: { ok: a }\n",
                    "bad.yaml:7:14: error: 'pattern' is not a valid regular expression")
    }

    func testBadTerminator() {
        assertError(header + "  a:\n    do: collect\n    digits: 4\n    terminator: \"##\"\n    store: x\n    on: { ok: a }\n",
                    "bad.yaml:7:17: error: 'terminator' must be one key")
    }

    func testBadPromptName() {
        assertError(header + "  a:\n    do: play\n    prompt: ../etc/passwd\n",
                    "bad.yaml:6:13: error: prompt name '../etc/passwd' must be")
    }

    func testInvalidYAML() {
        assertError("script: t\nstart: a\nnodes:\n  a: [unclosed\n", "bad.yaml:5:1: error: invalid YAML")
    }

    func testDuplicateKey() {
        assertError("script: t\nstart: a\nstart: b\nnodes:\n  a: { do: hangup }\n", "bad.yaml:")
        XCTAssertThrowsError(try ScriptLoader.load(yaml: "script: t\nstart: a\nstart: b\nnodes:\n  a: { do: hangup }\n", file: "d.yaml")) {
            XCTAssertTrue("\($0)".contains("duplicate key 'start'"), "\($0)")
        }
    }

    func testNotAMapping() {
        assertError("- just\n- a list\n", "bad.yaml:1:1: error: the script must be a mapping, not a list")
        assertError("", "bad.yaml:1:1: error: the file is empty")
    }

    func testMenuChoiceMustBeOneKey() {
        assertError(header + "  a:\n    do: menu\n    prompt: m\n    choices: { \"12\": a }\n",
                    "bad.yaml:7:16: error: menu choice '12' must be one key")
    }

    func testHangupCause() {
        assertError(header + "  a:\n    do: hangup\n    cause: angry\n", "bad.yaml:6:12: error: 'cause' must be one of normal, busy")
    }

    func testParseCollectsOneErrorPerBrokenNode() {
        let yaml = header + "  a:\n    do: play\n    prompt: x\n    next: b\n  b:\n    do: jump\n  c:\n    do: play\n"
        let (script, diagnostics) = ScriptLoader.parse(yaml: yaml, file: "m.yaml")
        XCTAssertNotNil(script)
        XCTAssertEqual(diagnostics.count, 2)
        XCTAssertTrue(diagnostics[0].description.hasPrefix("m.yaml:9:9: error: unknown verb 'jump'; verbs: play, say, collect"), "\(diagnostics)")
        XCTAssertEqual(diagnostics.last?.description, "m.yaml:11:5: error: node 'c' (play) needs 'prompt'")
    }

    func testTemplates() throws {
        let location = SourceLocation(file: "t", line: 1, column: 1)
        let template = try Template.parse("+49${account.number}-$x$$", at: location)
        XCTAssertEqual(template.variables.map(\.description), ["$account.number", "$x"])
        let context = CallContext(variables: ["account": .record(["number": .string("301")]), "x": .integer(7)])
        XCTAssertEqual(template.evaluate(in: context), .string("+49301-7$"))
        XCTAssertEqual(try Template.parse("$x", at: location).evaluate(in: context), .integer(7))
        XCTAssertThrowsError(try Template.parse("${oops", at: location))
        XCTAssertThrowsError(try Template.parse("cost: $", at: location))
    }
}
