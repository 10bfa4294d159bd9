import Foundation
import XCTest
@testable import IVR

/// Drives an `Interpreter` the way the edge does, remembering the open playback and timer
/// so tests read as a call: `finishPrompt()`, `press("12#")`, `expireTimer()`.
struct InterpreterHarness {
    var interpreter: Interpreter
    /// Every action so far, in order.
    var actions: [IVRAction] = []
    /// Actions of the latest step.
    var last: [IVRAction] = []
    var openPlayback: PlaybackID?
    var openTimers: [TimerID] = []

    init(_ yaml: String, file: String = "test.yaml", context: CallContext = CallContext(caller: "4930123", dnis: "100"),
         catalog: PromptCatalog? = nil) throws {
        let script = try ScriptLoader.load(yaml: yaml, file: file)
        interpreter = Interpreter(script: script, context: context, promptCatalog: catalog)
    }

    mutating func start() {
        record(interpreter.start())
    }

    mutating func send(_ event: IVREvent) {
        record(interpreter.handle(event))
    }

    mutating func record(_ step: [IVRAction]) {
        last = step
        actions += step
        for action in step {
            switch action {
            case .play(let id, _, _): openPlayback = id
            case .stopPlayback: openPlayback = nil
            case .startTimer(let id, _): openTimers.append(id)
            case .cancelTimer(let id): openTimers.removeAll { $0 == id }
            default: break
            }
        }
    }

    /// The current playback plays out.
    mutating func finishPrompt(file: StaticString = #filePath, line: UInt = #line) {
        guard let id = openPlayback else { return XCTFail("no prompt is playing", file: file, line: line) }
        openPlayback = nil
        send(.promptFinished(id))
    }

    mutating func press(_ keys: String) {
        for key in keys { send(.digit(key)) }
    }

    /// The newest running timer fires.
    mutating func expireTimer(file: StaticString = #filePath, line: UInt = #line) {
        guard let id = openTimers.popLast() else { return XCTFail("no timer is running", file: file, line: line) }
        send(.timerFired(id))
    }

    /// Prompt names of every `.play` so far, each playback joined with '+'.
    var played: [String] {
        actions.compactMap {
            if case .play(_, let prompts, _) = $0 { return prompts.map(\.name).joined(separator: "+") }
            return nil
        }
    }

    var lastPlayed: [PromptRef]? {
        for action in actions.reversed() {
            if case .play(_, let prompts, _) = action { return prompts }
        }
        return nil
    }

    var traces: [IVRTrace] {
        actions.compactMap { if case .trace(let trace) = $0 { return trace } else { return nil } }
    }

    var outcomes: [String] {
        traces.compactMap { if case let .outcome(node, outcome, _) = $0 { return "\(node).\(outcome)" } else { return nil } }
    }

    var hangupCause: HangupCause? {
        for action in actions { if case .hangup(let cause) = action { return cause } }
        return nil
    }

    /// Timer lengths started so far.
    var timerLengths: [Int] {
        actions.compactMap { if case .startTimer(_, let ms) = $0 { return ms } else { return nil } }
    }
}
