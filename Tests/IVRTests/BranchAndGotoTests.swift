import XCTest
@testable import IVR

final class BranchAndGotoTests: XCTestCase {
    let script = """
    script: t
    start: decide
    nodes:
      decide:
        do: branch
        cases:
          - if: len($caller) < 4
            then: short
          - if: starts_with($caller, "+49")
            then: german
        else: other
      short: { do: hangup, cause: rejected }
      german:
        do: set
        set: { count: { expr: "len($caller) + 1" }, greeting: "hallo $caller" }
        next: done
      other: { do: hangup, cause: busy }
      done: { do: hangup }
    """

    func run(caller: String) throws -> InterpreterHarness {
        var call = try InterpreterHarness(script, context: CallContext(caller: caller, dnis: "100"))
        call.start()
        return call
    }

    func testFirstMatchingCaseWins() throws {
        let call = try run(caller: "+4930")
        XCTAssertEqual(call.outcomes.first, "decide.if starts_with($caller, \"+49\")")
        XCTAssertEqual(call.interpreter.context["count"], .integer(6))
        XCTAssertEqual(call.interpreter.context["greeting"], .string("hallo +4930"))
    }

    func testElse() throws {
        XCTAssertEqual(try run(caller: "+3312345").hangupCause, .busy)
        XCTAssertEqual(try run(caller: "12").hangupCause, .rejected)
    }

    func testBranchTransitionsForGraphAndValidation() throws {
        let loaded = try ScriptLoader.load(yaml: script, file: "t.yaml")
        XCTAssertEqual(loaded.node(named: "decide")?.transitions.map(\.outcome),
                       ["if len($caller) < 4", "if starts_with($caller, \"+49\")", "else"])
    }

    func testBadConditionIsALoadError() {
        let yaml = "script: t\nstart: a\nnodes:\n  a:\n    do: branch\n    cases:\n      - if: $x >\n        then: a\n"
        XCTAssertThrowsError(try ScriptLoader.load(yaml: yaml, file: "b.yaml")) {
            XCTAssertTrue("\($0)".hasPrefix("b.yaml:7:"), "\($0)")
        }
    }

    func testGotoAnotherScript() throws {
        let main = try ScriptLoader.load(yaml: "script: main\nstart: a\nnodes:\n  a: { do: goto, script: other, node: two }\n", file: "main.yaml")
        let other = try ScriptLoader.load(yaml: """
        script: other
        language: de
        start: one
        nodes:
          one: { do: hangup, cause: busy }
          two:
            do: say
            say: [{ number: 21 }]
            next: one
        """, file: "other.yaml")
        var call = InterpreterHarness(interpreter: Interpreter(script: main, context: CallContext(), library: ScriptLibrary([main, other])))
        call.start()
        XCTAssertTrue(call.traces.contains(.scriptEntered(script: "other", node: "two")))
        XCTAssertEqual(call.lastPlayed, ["ein", "und", "number-20"].map { PromptRef(name: $0, language: "de") })
        call.finishPrompt()
        XCTAssertEqual(call.hangupCause, .busy)
        XCTAssertEqual(call.interpreter.script.name.value, "other")
    }

    func testGotoUnknownScriptFailsSafely() throws {
        var call = try InterpreterHarness("script: main\nstart: a\nnodes:\n  a: { do: goto, script: nowhere }\n")
        call.start()
        XCTAssertEqual(call.hangupCause, .scriptFailure)
    }
}
