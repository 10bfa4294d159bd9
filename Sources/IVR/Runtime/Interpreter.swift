import Foundation

/// Runs one call's script: a pure state machine, events in, actions out (DESIGN.md, "The
/// IVR language"). It holds no clock, socket or file: the edge plays prompts, runs timers and
/// answers service requests, and feeds back what happened. The same value runs behind live
/// calls and behind `switchback simulate`.
///
/// Stale events — a `promptFinished` for a playback that was stopped, a `timerFired` for a
/// timer that was cancelled, a result for a request of a node already left — are ignored, so
/// the edge may race them freely.
public struct Interpreter: Sendable {
    /// The script running now (a `goto` to another script replaces it).
    public internal(set) var script: IVRScript
    public internal(set) var context: CallContext
    /// The node being run; nil before `start()`.
    public internal(set) var currentNode: String?

    /// A cycle of nodes that never waits for the caller would spin; after this many nodes
    /// in a row without waiting the call is ended as a script failure.
    public static let maximumNodesWithoutWaiting = 200
    /// Digits typed during an interruptible prompt are kept for the next input, up to this many.
    public static let typeAheadLimit = 32

    var languagePack: any LanguagePack
    /// The campaign's `language:` when it overrides the scripts' (the call's `$language`
    /// given at the start): prompts and values in it, each prompt missing in it taken from
    /// the script's fallback or own language instead.
    let languageOverride: String?
    let promptCatalog: PromptCatalog?
    let library: ScriptLibrary
    var phase: Phase = .notStarted
    var lastIdentifier = 0
    var failedAttempts: [String: Int] = [:]
    var typeAhead: [Character] = []
    var output: [IVRAction] = []

    /// - Parameters:
    ///   - promptCatalog: the prompt files that exist; with it, a prompt missing in the
    ///     script's language is played from `fallback-language`. Without it every prompt is
    ///     requested in the script's language.
    ///   - library: the scripts a `goto` with `script:` may continue in.
    public init(script: IVRScript, context: CallContext, promptCatalog: PromptCatalog? = nil,
                library: ScriptLibrary = ScriptLibrary()) {
        self.script = script
        self.context = context
        self.promptCatalog = promptCatalog
        self.library = library
        let override = context["language"]?.text
        self.languageOverride = override == script.language.value ? nil : override
        self.languagePack = Interpreter.languagePack(for: script, override: languageOverride)
        if self.context["language"] == nil { self.context["language"] = .string(script.language.value) }
    }

    /// The pack of the campaign's language, else of the script's, else of its fallback
    /// language, else English.
    static func languagePack(for script: IVRScript, override: String? = nil) -> any LanguagePack {
        override.flatMap { LanguagePacks.pack(for: $0) }
            ?? LanguagePacks.pack(for: script.language.value)
            ?? script.fallbackLanguage.flatMap { LanguagePacks.pack(for: $0.value) }
            ?? EnglishLanguagePack()
    }

    public var isFinished: Bool {
        if case .finished = phase { return true }
        return false
    }

    /// Begins the script at its start node.
    public mutating func start() -> [IVRAction] {
        start(at: script.start.value)
    }

    /// Begins the script at a given node: the node a `callback` named, on the call it placed.
    public mutating func start(at node: String) -> [IVRAction] {
        guard case .notStarted = phase else { return [] }
        emit(.trace(.scriptStarted(script: script.name.value, node: node)))
        advance(.enter(node))
        return drain()
    }

    /// Feeds one event and returns what to do about it.
    public mutating func handle(_ event: IVREvent) -> [IVRAction] {
        switch event {
        case .promptFinished(let id): promptFinished(id)
        case .digit(let digit): digitReceived(digit)
        case .timerFired(let id): timerFired(id)
        case .hangup: remoteHangup()
        case let .serviceResult(id, result): serviceAnswered(id, result)
        }
        return drain()
    }

    // MARK: State

    enum Phase: Sendable {
        case notStarted
        /// A prompt plays; `then` runs when it finishes (or is interrupted with barge-in).
        case playing(Playback)
        /// Waiting for digits of a `collect` or `menu` node.
        case input(Input)
        /// Waiting for the answer to a service request.
        case awaitingService(ServiceWait)
        case finished
    }

    struct Playback: Sendable {
        var id: PlaybackID
        var bargeIn: Bool
        var then: Continuation
    }

    enum Continuation: Sendable {
        case enter(String)
        case outcome(node: String, outcome: String)
        /// Start waiting for digits (the prompt has played).
        case input(Input)
        /// Play the input's prompt again, then wait for digits.
        case prompted(Input)
        case hangup(HangupCause)
        case request(ServiceRequest, ServiceWait)
    }

    /// What `advance` does next.
    enum Step {
        case enter(String)
        case wait
        case hangup(HangupCause)
    }

    // MARK: Plumbing

    mutating func emit(_ action: IVRAction) { output.append(action) }

    mutating func drain() -> [IVRAction] {
        defer { output = [] }
        return output
    }

    mutating func newPlaybackID() -> PlaybackID { lastIdentifier += 1; return PlaybackID(lastIdentifier) }
    mutating func newTimerID() -> TimerID { lastIdentifier += 1; return TimerID(lastIdentifier) }
    mutating func newRequestID() -> ServiceRequestID { lastIdentifier += 1; return ServiceRequestID(lastIdentifier) }

    /// Runs nodes until one waits for something or the call ends.
    mutating func advance(_ first: Step) {
        var step = first
        var nodesRun = 0
        while true {
            switch step {
            case .wait:
                return
            case .hangup(let cause):
                hangUp(cause)
                return
            case .enter(let name):
                nodesRun += 1
                guard nodesRun <= Interpreter.maximumNodesWithoutWaiting else {
                    fail("\(Interpreter.maximumNodesWithoutWaiting) nodes ran without waiting for the caller (a loop through '\(name)'?)")
                    return
                }
                guard let node = script.node(named: name) else {
                    fail("node '\(name)' does not exist")
                    return
                }
                currentNode = name
                emit(.trace(.nodeEntered(node: name, verb: node.verb.name, location: node.location)))
                step = execute(node)
            }
        }
    }

    /// The step after `outcome` of `node`: its target, or the end of the call when the
    /// script gives none.
    mutating func transition(_ nodeName: String, _ outcome: String) -> Step {
        let target = script.node(named: nodeName)?.target(for: outcome)?.value
        emit(.trace(.outcome(node: nodeName, outcome: outcome, next: target)))
        guard let target else { return .hangup(.normal) }
        return .enter(target)
    }

    mutating func run(_ continuation: Continuation) {
        switch continuation {
        case .enter(let name): advance(.enter(name))
        case let .outcome(node, outcome): advance(transition(node, outcome))
        case .input(let input): beginInput(input)
        case .prompted(let input): advance(startInput(input))
        case .hangup(let cause): hangUp(cause)
        case let .request(request, wait): send(request, wait)
        }
    }

    mutating func execute(_ node: ScriptNode) -> Step {
        switch node.verb {
        case .play(let verb):
            play(verb.prompts.map(\.value), bargeIn: verb.bargeIn, then: .outcome(node: node.name, outcome: "next"))
            return .wait
        case .say(let verb):
            let prompts = render(verb.items, node: node.name)
            guard !prompts.isEmpty else { return transition(node.name, "next") }
            play(refs: prompts, bargeIn: verb.bargeIn, then: .outcome(node: node.name, outcome: "next"))
            return .wait
        case .collect(let verb):
            return startInput(Input(node: node.name, kind: .collect(verb), purpose: .node, attemptKey: node.name))
        case .menu(let verb):
            return startInput(Input(node: node.name, kind: .menu(verb), purpose: .node, attemptKey: node.name))
        case .hangup(let verb):
            guard !verb.prompts.isEmpty else { return .hangup(verb.cause) }
            play(verb.prompts.map(\.value), bargeIn: false, then: .hangup(verb.cause))
            return .wait
        case .set(let verb):
            for (variable, value) in verb.assignments {
                let result = value.evaluate(in: context)
                context[variable.value] = result
                emit(.trace(.variableSet(node: node.name, variable: variable.value, value: result)))
            }
            return transition(node.name, "next")
        case .goto(let verb):
            return goto(verb, from: node.name)
        case .branch(let verb):
            for branch in verb.cases where branch.condition.evaluate(in: context).isTruthy {
                emit(.trace(.outcome(node: node.name, outcome: "if \(branch.source.value)", next: branch.target.value)))
                return .enter(branch.target.value)
            }
            return transition(node.name, "else")
        case .authenticate(let verb):
            return authenticate(AuthenticationState(node: node.name, verb: verb, remaining: verb.methods.map(\.value)))
        case .creditCheck(let verb):
            return creditCheck(verb, node: node.name)
        case .balance(let verb):
            return request(.balance, ServiceWait(node: node.name, purpose: .balance(verb)))
        case .dial(let verb):
            return dial(verb, node: node.name)
        case .callback(let verb):
            let to = verb.to.evaluate(in: context).text
            let literal = verb.to.parts.allSatisfy { if case .literal = $0 { return true } else { return false } }
            let callback = CallbackRequest(to: to, toIsLiteral: literal,
                                           callerID: verb.callerID.map { $0.evaluate(in: context).text },
                                           delaySeconds: verb.delaySeconds, script: verb.script?.value ?? script.name.value,
                                           node: verb.node?.value)
            return request(.scheduleCallback(callback), ServiceWait(node: node.name, purpose: .callback))
        case .rememberCaller(let verb):
            let number = verb.number.evaluate(in: context).text
            return request(.rememberCaller(callerID: number), ServiceWait(node: node.name, purpose: .rememberCaller))
        }
    }

    /// `goto`: a node here, or another script from the library.
    mutating func goto(_ verb: GotoVerb, from node: String) -> Step {
        guard let scriptName = verb.script?.value else {
            let target = verb.node?.value ?? script.start.value
            emit(.trace(.outcome(node: node, outcome: "goto", next: target)))
            return .enter(target)
        }
        guard let other = library.script(named: scriptName) else {
            fail("script '\(scriptName)' is not loaded")
            return .wait
        }
        let target = verb.node?.value ?? other.start.value
        emit(.trace(.outcome(node: node, outcome: "goto", next: "\(scriptName):\(target)")))
        script = other
        languagePack = Interpreter.languagePack(for: other, override: languageOverride)
        failedAttempts.removeAll()
        emit(.trace(.scriptEntered(script: scriptName, node: target)))
        return .enter(target)
    }

    // MARK: Prompts

    /// The prompt in the script's language, or in the fallback language when a catalog
    /// says only that one has it.
    func promptRef(_ name: String, language: String? = nil) -> PromptRef {
        let primary = language ?? languageOverride ?? script.language.value
        if let catalog = promptCatalog, !catalog.contains(name, language: primary) {
            for candidate in [script.fallbackLanguage?.value, script.language.value].compactMap({ $0 })
            where catalog.contains(name, language: candidate) {
                return PromptRef(name: name, language: candidate)
            }
        }
        return PromptRef(name: name, language: primary)
    }

    mutating func play(_ names: [String], bargeIn: Bool, then: Continuation) {
        play(refs: names.map { promptRef($0) }, bargeIn: bargeIn, then: then)
    }

    mutating func play(refs: [PromptRef], bargeIn: Bool, then: Continuation) {
        let id = newPlaybackID()
        phase = .playing(Playback(id: id, bargeIn: bargeIn, then: then))
        emit(.trace(.promptRequested(node: currentNode ?? "", id, refs)))
        emit(.play(id, refs, bargeIn: bargeIn))
    }

    mutating func promptFinished(_ id: PlaybackID) {
        guard case .playing(let playback) = phase, playback.id == id else { return }
        run(playback.then)
    }

    // MARK: Ending

    mutating func hangUp(_ cause: HangupCause) {
        cancelInputTimer()
        emit(.trace(.hangup(node: currentNode, cause: cause)))
        emit(.hangup(cause: cause))
        phase = .finished
    }

    mutating func fail(_ message: String) {
        emit(.trace(.failure(node: currentNode, message: message)))
        hangUp(.scriptFailure)
    }

    mutating func remoteHangup() {
        switch phase {
        case .finished, .notStarted:
            phase = .finished
            return
        default:
            cancelInputTimer()
            emit(.trace(.remoteHangup(node: currentNode)))
            phase = .finished
        }
    }

    mutating func cancelInputTimer() {
        if case .input(var input) = phase, let timer = input.timer {
            emit(.cancelTimer(timer))
            input.timer = nil
            phase = .input(input)
        }
    }
}
