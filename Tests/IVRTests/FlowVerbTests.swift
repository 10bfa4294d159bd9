import XCTest
@testable import IVR

/// `set`, `goto`, `hangup` and the runaway-loop guard.
final class FlowVerbTests: XCTestCase {
    func testSetEvaluatesTemplatesInOrder() throws {
        let yaml = """
        script: t
        start: a
        nodes:
          a:
            do: set
            set: { prefix: "+49", full: "${prefix}$caller", count: 3, flag: true }
            next: b
          b: { do: hangup }
        """
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.interpreter.context["full"], .string("+494930123"))
        XCTAssertEqual(call.interpreter.context["count"], .integer(3))
        XCTAssertEqual(call.interpreter.context["flag"], .bool(true))
        XCTAssertTrue(call.traces.contains(.variableSet(node: "a", variable: "prefix", value: .string("+49"))))
    }

    func testGotoJumps() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a: { do: goto, node: c }\n  b: { do: hangup, cause: busy }\n  c: { do: hangup, cause: rejected }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.outcomes, ["a.goto"])
        XCTAssertEqual(call.hangupCause, .rejected)
    }

    func testHangupPlaysPromptUninterruptiblyFirst() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a: { do: hangup, prompt: goodbye, cause: busy }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        guard case .play(_, let prompts, bargeIn: false) = call.last.last else { return XCTFail("\(call.last)") }
        XCTAssertEqual(prompts.map(\.name), ["goodbye"])
        XCTAssertNil(call.hangupCause)
        call.press("1")
        XCTAssertNil(call.hangupCause)
        call.finishPrompt()
        XCTAssertEqual(call.last.last, .hangup(cause: .busy))
        XCTAssertTrue(call.interpreter.isFinished)
    }

    func testLoopWithoutWaitingIsStopped() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a: { do: goto, node: b }\n  b: { do: set, set: { x: 1 }, next: a }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.hangupCause, .scriptFailure)
        XCTAssertTrue(call.traces.contains { if case .failure = $0 { return true } else { return false } })
        XCTAssertTrue(call.interpreter.isFinished)
    }

    func testTraceFieldsForLogs() {
        let trace = IVRTrace.collected(node: "ask", variable: "pin", value: "1234")
        XCTAssertEqual(trace.fields, ["event": "digits-collected", "node": "ask", "variable": "pin", "value": "1234"])
        XCTAssertEqual(trace.description, "digits-collected node=ask value=1234 variable=pin")
    }
}
