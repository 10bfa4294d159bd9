import XCTest
@testable import IVR

final class PlayVerbTests: XCTestCase {
    let script = """
    script: t
    start: hello
    nodes:
      hello:
        do: play
        prompt: [welcome, enter-digits]
        next: menu
      menu:
        do: play
        prompt: goodbye
        barge-in: true
        next: ask
      ask:
        do: collect
        prompt: enter-digits
        digits: 1..4
        store: x
        on: { ok: done }
      done:
        do: hangup
    """

    func testPlaysPromptsInScriptLanguageThenNext() throws {
        var call = try InterpreterHarness(script)
        call.start()
        guard case .play(let id, let prompts, let bargeIn) = call.last.last else { return XCTFail("expected play, got \(call.last)") }
        XCTAssertEqual(prompts, [PromptRef(name: "welcome", language: "en"), PromptRef(name: "enter-digits", language: "en")])
        XCTAssertFalse(bargeIn)
        XCTAssertEqual(call.traces.first, .scriptStarted(script: "t", node: "hello"))
        call.send(.promptFinished(id))
        XCTAssertEqual(call.interpreter.currentNode, "menu")
        XCTAssertEqual(call.outcomes, ["hello.next"])
    }

    func testDigitDuringUninterruptiblePromptIsIgnored() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.press("5")
        XCTAssertEqual(call.last, [.trace(.digitIgnored(node: "hello", "5", reason: "prompt is not interruptible"))])
        XCTAssertEqual(call.interpreter.currentNode, "hello")
    }

    func testBargeInStopsPromptAndDigitIsTypeAheadForCollect() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.finishPrompt()
        call.press("7")
        XCTAssertEqual(call.last.first, .stopPlayback)
        XCTAssertEqual(call.interpreter.currentNode, "ask")
        // The collect prompt is skipped: the caller already answered; the digit counts.
        XCTAssertEqual(call.played, ["welcome+enter-digits", "goodbye"])
        call.press("123")  // 4 digits reach the maximum
        XCTAssertEqual(call.interpreter.context["x"], .string("7123"))
        XCTAssertTrue(call.interpreter.isFinished)
    }

    func testStalePlaybackFinishIsIgnored() throws {
        var call = try InterpreterHarness(script)
        call.start()
        XCTAssertEqual(call.interpreter.handle(.promptFinished(PlaybackID(999))), [])
        XCTAssertEqual(call.interpreter.currentNode, "hello")
        call.finishPrompt()
        let oldID = PlaybackID(1)
        XCTAssertEqual(call.interpreter.handle(.promptFinished(oldID)), [], "a playback already finished is stale")
        XCTAssertEqual(call.interpreter.currentNode, "menu")
    }

    func testRemoteHangupFinishesAndLaterEventsAreIgnored() throws {
        var call = try InterpreterHarness(script)
        call.start()
        call.send(.hangup)
        XCTAssertEqual(call.last, [.trace(.remoteHangup(node: "hello"))])
        XCTAssertTrue(call.interpreter.isFinished)
        call.finishPrompt()
        XCTAssertEqual(call.last, [])
    }

    func testStartTwiceDoesNothing() throws {
        var call = try InterpreterHarness(script)
        call.start()
        XCTAssertEqual(call.interpreter.start(), [])
    }

    func testFallbackLanguageForMissingPrompt() throws {
        let yaml = "script: t\nlanguage: de\nfallback-language: en\nstart: a\nnodes:\n  a: { do: play, prompt: [welcome, goodbye] }\n"
        let catalog = PromptCatalog(available: ["de": ["goodbye"], "en": ["welcome", "goodbye"]])
        var call = try InterpreterHarness(yaml, catalog: catalog)
        call.start()
        XCTAssertEqual(call.lastPlayed, [PromptRef(name: "welcome", language: "en"), PromptRef(name: "goodbye", language: "de")])
    }

    func testEndOfScriptHangsUpNormally() throws {
        var call = try InterpreterHarness("script: t\nstart: a\nnodes:\n  a: { do: play, prompt: welcome }\n")
        call.start()
        call.finishPrompt()
        XCTAssertEqual(call.last, [.trace(.outcome(node: "a", outcome: "next", next: nil)),
                                   .trace(.hangup(node: "a", cause: .normal)), .hangup(cause: .normal)])
    }
}
