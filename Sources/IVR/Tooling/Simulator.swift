import Foundation

/// `switchback simulate`: runs a script with the same `Interpreter` as live calls, playing
/// every prompt to its end at once, answering services from `FakeServices`, and answering
/// each input request with the next `answers` entry. The result is a readable transcript.
///
/// An answer is the keys to press (`1234#`); an empty answer or `timeout` is silence
/// (the input timer fires). When the answers are used up, every further input is silence,
/// so a script always runs to its end (or to `maximumEvents`).
public struct Simulator: Sendable {
    public var script: IVRScript
    public var context: CallContext
    public var services: FakeServices
    public var answers: [String]
    public var library: ScriptLibrary
    public var promptCatalog: PromptCatalog?
    /// Start here instead of at `start` (a node a `callback` runs on the call it places).
    public var startNode: String?
    public static let maximumEvents = 5000

    public init(script: IVRScript, context: CallContext, services: FakeServices, answers: [String],
                library: ScriptLibrary = ScriptLibrary(), promptCatalog: PromptCatalog? = nil, startNode: String? = nil) {
        self.startNode = startNode
        self.script = script
        self.context = context
        self.services = services
        self.answers = answers
        self.library = library
        self.promptCatalog = promptCatalog
    }

    public struct Result: Sendable {
        public var transcript: [String]
        public var hangupCause: HangupCause?
        public var finalContext: CallContext
        /// Answers that were never asked for.
        public var unusedAnswers: [String]

        public var text: String { transcript.joined(separator: "\n") + "\n" }
    }

    public func run() -> Result {
        var interpreter = Interpreter(script: script, context: context, promptCatalog: promptCatalog, library: library)
        var services = self.services
        var answers = self.answers[...]
        var lines = ["call: script \(script.name.value), caller \(context.caller.isEmpty ? "(none)" : context.caller), dialled \(context.dnis.isEmpty ? "(none)" : context.dnis)"]
        var queue = interpreter.start(at: startNode ?? script.start.value)
        var events: [IVREvent] = []
        var openTimer: TimerID?
        var answeredInput = false
        var cause: HangupCause?
        var handled = 0

        func node() -> String { "[\(interpreter.currentNode ?? "-")]" }

        while true {
            // Carry out what the interpreter asked, collecting the events that follow.
            for action in queue {
                switch action {
                case let .play(id, prompts, bargeIn):
                    lines.append("\(node()) play: \(prompts.map(\.name).joined(separator: " "))" + (bargeIn ? "  (interruptible)" : ""))
                    events.append(.promptFinished(id))
                case .stopPlayback:
                    lines.append("\(node()) (the caller's key interrupts the prompt)")
                case .startTimer(let id, _):
                    openTimer = id
                case .cancelTimer(let id):
                    if openTimer == id { openTimer = nil }
                case let .request(id, request):
                    let result = services.answer(request)
                    lines.append("\(node()) \(request) → \(result)")
                    events.append(.serviceResult(id, result))
                case .hangup(let hangupCause):
                    cause = hangupCause
                    lines.append("\(node()) hangup: \(hangupCause)")
                case .trace(let trace):
                    switch trace {
                    case .collected, .outcome: answeredInput = false  // that input is over
                    default: break
                    }
                    if let line = Simulator.describe(trace) { lines.append(line) }
                }
            }
            queue = []
            if interpreter.isFinished { break }
            if events.isEmpty {
                guard let timer = openTimer else {
                    lines.append("\(node()) simulation stopped: the script waits for nothing the simulator can give")
                    break
                }
                // Input is awaited: answer it, or let the timer run out.
                openTimer = nil
                if answeredInput {
                    // The answer was typed without a terminator: the inter-digit timer ends it.
                    events.append(.timerFired(timer))
                } else if let answer = answers.popFirst(), !answer.isEmpty, answer != "timeout" {
                    lines.append("\(node()) caller presses: \(answer)")
                    answeredInput = true
                    events += answer.map { IVREvent.digit($0) }
                } else {
                    lines.append("\(node()) caller is silent")
                    events.append(.timerFired(timer))
                }
            }
            handled += 1
            if handled > Simulator.maximumEvents {
                lines.append("simulation stopped after \(Simulator.maximumEvents) events")
                break
            }
            queue = interpreter.handle(events.removeFirst())
        }
        return Result(transcript: lines, hangupCause: cause, finalContext: interpreter.context, unusedAnswers: Array(answers))
    }

    static func describe(_ trace: IVRTrace) -> String? {
        switch trace {
        case let .collected(node, variable, value): return "[\(node)] collected \(variable) = \(value)"
        case let .outcome(node, outcome, next): return "[\(node)] → \(outcome)" + (next.map { ": \($0)" } ?? " (end)")
        case let .variableSet(node, variable, value): return "[\(node)] set \(variable) = \(value)"
        case let .digitIgnored(node, digit, reason): return "[\(node ?? "-")] digit \(digit) ignored: \(reason)"
        case let .scriptEntered(script, node): return "entered script \(script) at \(node)"
        case let .failure(node, message): return "[\(node ?? "-")] problem: \(message)"
        case .remoteHangup: return "caller hung up"
        case let .valueSaid(node, value, prompts):
            return "[\(node)] say \(value) → \(prompts.map(\.name).joined(separator: " "))"
        case .scriptStarted, .nodeEntered, .promptRequested, .digitAccepted, .serviceRequested, .serviceAnswered, .hangup:
            return nil
        }
    }
}
