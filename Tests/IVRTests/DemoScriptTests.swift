import XCTest
@testable import IVR

/// The shipped demo (access number 100), end to end by events.
final class DemoScriptTests: XCTestCase {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    func demo() throws -> Interpreter {
        let script = try ScriptLoader.load(contentsOf: Self.repositoryRoot.appendingPathComponent("scripts/demo.yaml"))
        return Interpreter(script: script, context: CallContext(caller: "1000", dnis: "100"))
    }

    func testWelcomeDigitsReadBackGoodbye() throws {
        var call = InterpreterHarness(interpreter: try demo())
        call.start()
        call.finishPrompt()                  // welcome
        call.finishPrompt()                  // enter-digits
        XCTAssertEqual(call.timerLengths, [6000])
        call.press("4711#")
        XCTAssertTrue(call.traces.contains(.collected(node: "ask-digits", variable: "entered", value: "4711")))
        XCTAssertEqual(call.lastPlayed?.map(\.name), ["you-entered", "number-4", "number-7", "number-1", "number-1"])
        call.finishPrompt()
        XCTAssertEqual(call.played.last, "goodbye")
        call.finishPrompt()
        XCTAssertEqual(call.last.last, .hangup(cause: .normal))
        XCTAssertEqual(call.played, ["welcome", "enter-digits", "you-entered+number-4+number-7+number-1+number-1", "goodbye"])
    }

    func testSilentCallerIsAskedThreeTimesThenGoodbye() throws {
        var call = InterpreterHarness(interpreter: try demo())
        call.start()
        call.finishPrompt()
        for _ in 0..<2 {
            call.finishPrompt()   // enter-digits
            call.expireTimer()
            call.finishPrompt()   // no-input
        }
        call.finishPrompt()
        call.expireTimer()
        XCTAssertEqual(call.played, ["welcome", "enter-digits", "no-input", "enter-digits", "no-input", "enter-digits", "goodbye"])
        call.finishPrompt()
        XCTAssertTrue(call.interpreter.isFinished)
    }
}

extension InterpreterHarness {
    init(interpreter: Interpreter) {
        self.interpreter = interpreter
    }
}
