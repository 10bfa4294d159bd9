import XCTest
@testable import IVR

final class CollectVerbTests: XCTestCase {
    let script = """
    script: t
    start: ask
    nodes:
      ask:
        do: collect
        prompt: enter-pin
        digits: 4..6
        terminator: "#"
        timeout: 6s
        inter-digit-timeout: 2s
        pattern: "[1-9][0-9]*"
        attempts: 3
        invalid-prompt: invalid-entry
        no-input-prompt: no-input
        store: pin
        on: { ok: good, timeout: ask, invalid: sorry, exhausted: bye }
      sorry:
        do: play
        prompt: sorry
        next: ask
      good:
        do: say
        say: [you-entered, { digits: $pin }]
        next: bye
      bye:
        do: hangup
        prompt: goodbye
    """

    func testPromptThenFirstDigitTimerThenInterDigitTimer() throws {
        var call = try InterpreterHarness(script)
        call.start()
        XCTAssertEqual(call.played, ["enter-pin"])
        guard case .play(_, _, let bargeIn) = call.last.last else { return XCTFail() }
        XCTAssertTrue(bargeIn, "collect prompts are interruptible by default")
        call.finishPrompt()
        XCTAssertEqual(call.timerLengths, [6000])
        call.press("1")
        XCTAssertEqual(call.timerLengths, [6000, 2000])
        XCTAssertTrue(call.last.contains(.cancelTimer(TimerID(2))), "the first-digit timer is cancelled: \(call.last)")
    }

    func testOkWithTerminator() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("1234#")
        XCTAssertEqual(call.interpreter.context["pin"], .string("1234"))
        XCTAssertTrue(call.traces.contains(.collected(node: "ask", variable: "pin", value: "1234")))
        XCTAssertEqual(call.outcomes, ["ask.ok"])
        XCTAssertEqual(call.lastPlayed?.map(\.name), ["you-entered", "number-1", "number-2", "number-3", "number-4"])
        XCTAssertTrue(call.openTimers.isEmpty, "no timer left running: \(call.openTimers)")
    }

    func testOkWhenInterDigitTimerExpiresWithEnoughDigits() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("98765")
        call.expireTimer()
        XCTAssertEqual(call.interpreter.context["pin"], .string("98765"))
        XCTAssertEqual(call.outcomes, ["ask.ok"])
    }

    func testBargeInDigitStartsInput() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.press("5")
        XCTAssertEqual(call.last.first, .stopPlayback)
        call.press("555#")
        XCTAssertEqual(call.interpreter.context["pin"], .string("5555"))
    }

    func testTimeoutRetriesWithNoInputPrompt() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.expireTimer()
        XCTAssertEqual(call.outcomes, ["ask.timeout"])
        XCTAssertEqual(call.played, ["enter-pin", "no-input"])
        call.finishPrompt()
        XCTAssertEqual(call.played, ["enter-pin", "no-input", "enter-pin"], "on timeout the node runs again")
    }

    func testInvalidGoesToItsNodeAndBack() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("0123#")  // pattern forbids a leading zero
        XCTAssertEqual(call.outcomes, ["ask.invalid"])
        XCTAssertEqual(call.played, ["enter-pin", "invalid-entry"])
        call.finishPrompt()
        XCTAssertEqual(call.interpreter.currentNode, "sorry")
        call.finishPrompt()
        XCTAssertEqual(call.interpreter.currentNode, "ask")
    }

    func testTooFewAndTooManyDigitsAreInvalid() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("12#")
        XCTAssertEqual(call.outcomes, ["ask.invalid"])
        var again = try InterpreterHarness(script)
        again.start()
        again.finishPrompt()
        again.press("1234567#")  // seven digits: one beyond the maximum of six
        XCTAssertEqual(again.outcomes, ["ask.invalid"])
        XCTAssertNil(again.interpreter.context["pin"])
    }

    func testTerminatorAloneIsInvalid() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("#")
        XCTAssertEqual(call.outcomes, ["ask.invalid"])
    }

    func testExhaustedAfterAttemptsEvenThroughAnotherNode() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.expireTimer()           // 1: timeout → no-input → ask
        call.finishPrompt()
        call.finishPrompt()
        call.press("1#")             // 2: invalid → invalid-entry → sorry → ask
        call.finishPrompt()
        call.finishPrompt()
        call.finishPrompt()
        call.expireTimer()           // 3: exhausted
        XCTAssertEqual(call.outcomes, ["ask.timeout", "ask.invalid", "sorry.next", "ask.timeout", "ask.exhausted"])
        XCTAssertEqual(call.interpreter.currentNode, "bye")
        call.finishPrompt()
        XCTAssertEqual(call.hangupCause, .normal)
        XCTAssertTrue(call.interpreter.isFinished)
    }

    func testSuccessResetsAttempts() throws {
        let yaml = """
        script: t
        start: ask
        nodes:
          ask:
            do: collect
            digits: 1
            attempts: 2
            store: d
            on: { ok: ask, exhausted: bye }
          bye: { do: hangup }
        """
        var call = try InterpreterHarness(yaml)
        call.start()
        call.expireTimer()   // failure 1 of 2
        call.press("1")      // ok resets
        call.expireTimer()   // failure 1 of 2 again
        XCTAssertFalse(call.interpreter.isFinished)
        call.expireTimer()   // failure 2 of 2: exhausted
        XCTAssertEqual(call.outcomes, ["ask.timeout", "ask.ok", "ask.timeout", "ask.timeout", "ask.exhausted"])
        XCTAssertTrue(call.interpreter.isFinished)
    }

    func testStaleTimerIsIgnored() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        let firstDigitTimer = try XCTUnwrap(call.openTimers.last)
        call.press("1")
        // The edge raced: the cancelled first-digit timer fires anyway.
        call.send(.timerFired(firstDigitTimer))
        XCTAssertEqual(call.last, [])
        XCTAssertEqual(call.outcomes, [])
        call.press("111#")
        XCTAssertEqual(call.interpreter.context["pin"], .string("1111"))
    }

    func testRemoteHangupCancelsTimer() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        let timer = try XCTUnwrap(call.openTimers.last)
        call.send(.hangup)
        XCTAssertEqual(call.last, [.cancelTimer(timer), .trace(.remoteHangup(node: "ask"))])
        XCTAssertTrue(call.interpreter.isFinished)
    }

    func testWithoutTerminatorMaximumEndsInput() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a: { do: collect, digits: 3, store: n, on: { ok: b } }\n  b: { do: hangup }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.timerLengths, [CollectVerb.defaultFirstDigitTimeoutMilliseconds], "no prompt: input starts at once")
        call.press("123")
        XCTAssertEqual(call.interpreter.context["n"], .string("123"))
        XCTAssertTrue(call.interpreter.isFinished)
    }

    func testExhaustedWithoutTargetHangsUp() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a: { do: collect, digits: 3, attempts: 1, store: n, on: { ok: a } }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        call.expireTimer()
        XCTAssertEqual(call.outcomes, ["a.timeout", "a.exhausted"])
        XCTAssertEqual(call.hangupCause, .normal)
    }
}
