import XCTest
@testable import IVR

final class MenuVerbTests: XCTestCase {
    let script = """
    script: t
    start: main
    nodes:
      main:
        do: menu
        prompt: main-menu
        choices: { "1": balance, "2": call, "*": main }
        timeout: 4s
        attempts: 2
        invalid-prompt: invalid-entry
        no-input-prompt: no-input
        on: { exhausted: bye }
      balance: { do: play, prompt: your-balance-is, next: bye }
      call: { do: play, prompt: enter-destination, next: bye }
      bye: { do: hangup, prompt: goodbye }
    """

    func testChoiceLeadsToItsNode() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        XCTAssertEqual(call.timerLengths, [4000])
        call.press("2")
        XCTAssertEqual(call.outcomes, ["main.2"])
        XCTAssertEqual(call.interpreter.currentNode, "call")
        XCTAssertTrue(call.openTimers.isEmpty)
    }

    func testChoiceDuringPromptBargesIn() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.press("1")
        XCTAssertEqual(call.last.first, .stopPlayback)
        XCTAssertEqual(call.interpreter.currentNode, "balance")
    }

    func testInvalidThenTimeoutIsExhausted() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("9")
        XCTAssertEqual(call.played, ["main-menu", "invalid-entry"])
        call.finishPrompt()
        XCTAssertEqual(call.played.last, "main-menu")
        call.finishPrompt()
        call.expireTimer()
        XCTAssertEqual(call.outcomes, ["main.invalid", "main.timeout", "main.exhausted"])
        XCTAssertEqual(call.interpreter.currentNode, "bye")
    }

    func testWrongDigitTimeoutThenRightDigit() throws {
        let yaml = script.replacingOccurrences(of: "attempts: 2", with: "attempts: 3")
        var call = try InterpreterHarness(yaml)
        call.start()
        call.finishPrompt()
        call.press("7")              // wrong
        call.finishPrompt()          // invalid-entry
        call.finishPrompt()          // main-menu again
        call.expireTimer()           // silence
        call.finishPrompt()          // no-input
        call.finishPrompt()          // main-menu again
        call.press("1")              // right
        XCTAssertEqual(call.outcomes, ["main.invalid", "main.timeout", "main.1"])
        XCTAssertEqual(call.interpreter.currentNode, "balance")
    }

    func testDigitDuringFeedbackPromptIsTypeAhead() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("9")      // invalid → invalid-entry playing (interruptible)
        call.press("2")      // interrupts, answers the menu again at once
        XCTAssertEqual(call.interpreter.currentNode, "call")
        XCTAssertEqual(call.played, ["main-menu", "invalid-entry", "enter-destination"])
    }
}
