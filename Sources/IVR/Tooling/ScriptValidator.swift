import Foundation

/// `switchback validate`: a script's schema errors (from the loader) and its meaning
/// errors and warnings (DESIGN.md, "The IVR language"; issue 3, item 4):
///
/// - every target node exists (loader), every node is reachable from `start`;
/// - every prompt file exists for the script's language (or its fallback language, with
///   a warning), including those `say` derives from values through the language pack;
/// - no cycle of nodes can spin without waiting for the caller;
/// - no variable is read where no path from `start` has set it;
/// - options are within range (loader);
/// - `goto`/`callback` name scripts that exist, when a library is given;
/// - warnings: authentication by caller ID without PIN (ANI can be spoofed), nodes that
///   end the call without saying so.
public struct ScriptValidator: Sendable {
    /// Prompt files that exist; nil skips the prompt checks.
    public var promptCatalog: PromptCatalog?
    /// Scripts `goto`/`callback` may name; nil skips those checks.
    public var library: ScriptLibrary?
    /// The campaign's language, when it overrides the script's.
    public var language: String?

    /// - Parameter language: a campaign's `language:` that overrides the script's: prompts
    ///   are checked in it, each missing one falling back (with a warning) to the script's
    ///   fallback or own language, as the interpreter plays them.
    public init(promptCatalog: PromptCatalog? = nil, library: ScriptLibrary? = nil, language: String? = nil) {
        self.promptCatalog = promptCatalog
        self.library = library
        self.language = language
    }

    public func validate(contentsOf url: URL) -> [Diagnostic] {
        do {
            return validate(yaml: try ScriptLoader.readText(url), file: url.path)
        } catch let error as ScriptError {
            return [Diagnostic(error)]
        } catch {
            return [Diagnostic(.error, "\(error)", at: SourceLocation(file: url.path, line: 1, column: 1))]
        }
    }

    public func validate(yaml: String, file: String) -> [Diagnostic] {
        let (script, diagnostics) = ScriptLoader.parse(yaml: yaml, file: file)
        guard let script, !diagnostics.contains(where: { $0.severity == .error }) else { return ScriptValidator.sorted(diagnostics) }
        return ScriptValidator.sorted(diagnostics + validate(script))
    }

    /// Meaning checks of a loaded script.
    public func validate(_ script: IVRScript) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        let graph = FlowGraph(script)
        findings += unreachableNodes(script, graph)
        findings += spinningLoops(script, graph)
        findings += unsetVariables(script, graph)
        findings += promptProblems(script)
        findings += scriptReferences(script)
        findings += warnings(script)
        return ScriptValidator.sorted(findings)
    }

    static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { a, b in
            let (x, y) = (a.element.location, b.element.location)
            if x.file != y.file { return x.file < y.file }
            if x.line != y.line { return x.line < y.line }
            if x.column != y.column { return x.column < y.column }
            return a.offset < b.offset
        }.map(\.element)
    }

    // MARK: Checks

    func unreachableNodes(_ script: IVRScript, _ graph: FlowGraph) -> [Diagnostic] {
        let reachable = graph.reachable(from: graph.entries)
        let from = graph.entries.map { "'\($0)'" }.joined(separator: " or ")
        return script.nodes.filter { !reachable.contains($0.name) }.map {
            Diagnostic(.error, "node '\($0.name)' is unreachable: no path from \(from) leads to it", at: $0.location)
        }
    }

    /// A cycle through nodes none of which waits for the caller would run forever.
    func spinningLoops(_ script: IVRScript, _ graph: FlowGraph) -> [Diagnostic] {
        let busy = Set(script.nodes.filter { !$0.verb.waitsForCaller }.map(\.name))
        var findings: [Diagnostic] = []
        for component in graph.stronglyConnectedComponents(within: busy) {
            let isCycle = component.count > 1 || graph.successors(of: component[0]).contains(component[0])
            guard isCycle else { continue }
            let ordered = script.nodes.map(\.name).filter(component.contains)
            guard let first = ordered.first, let node = script.node(named: first) else { continue }
            findings.append(Diagnostic(.error, "nodes \(ordered.map { "'\($0)'" }.joined(separator: " → ")) form a loop that never waits for the caller; it would spin forever", at: node.location))
        }
        return findings
    }

    /// May-be-set analysis: a variable is an error where no path from `start` sets it.
    func unsetVariables(_ script: IVRScript, _ graph: FlowGraph) -> [Diagnostic] {
        let initial = CallContext.predefinedVariables.union(script.inputs.map(\.value))
        var setBefore: [String: Set<String>] = [:]
        for entry in graph.entries { setBefore[entry] = initial }
        var work = graph.entries
        while let name = work.popLast() {
            guard let node = script.node(named: name) else { continue }
            let after = setBefore[name, default: []].union(VariableUse.sets(node))
            for successor in graph.successors(of: name) {
                let known = setBefore[successor] ?? []
                let merged = known.union(after)
                if setBefore[successor] == nil || merged != known {
                    setBefore[successor] = merged
                    work.append(successor)
                }
            }
        }
        var findings: [Diagnostic] = []
        for node in script.nodes {
            guard var known = setBefore[node.name] else { continue }
            for read in VariableUse.reads(node) {
                if case .assigns(let name) = read.kind { known.insert(name); continue }
                guard !known.contains(read.path.root) else { continue }
                var message = "variable \(read.path) is read here, but no path from \(graph.entries.map { "'\($0)'" }.joined(separator: " or ")) sets '\(read.path.root)'"
                if ["account", "request"].contains(read.path.root) {
                    message += " (if the call provides it, declare it: inputs: [\(read.path.root)])"
                }
                findings.append(Diagnostic(.error, message, at: read.location))
            }
        }
        return findings
    }

    func promptProblems(_ script: IVRScript) -> [Diagnostic] {
        guard let catalog = promptCatalog else { return [] }
        let override = self.language == script.language.value ? nil : self.language
        let language = override ?? script.language.value
        let fallback = script.fallbackLanguage?.value ?? (override == nil ? nil : script.language.value)
        var findings: [Diagnostic] = []
        var reported: Set<String> = []
        func check(_ name: String, at location: SourceLocation, derivedFrom: String? = nil) {
            guard !catalog.contains(name, language: language), reported.insert(name).inserted else { return }
            let what = derivedFrom.map { "prompt '\(name)' (used to say \($0))" } ?? "prompt '\(name)'"
            if let fallback, catalog.contains(name, language: fallback) {
                findings.append(Diagnostic(.warning, "\(what) is missing in sounds/\(language)/; the \(fallback) one will play", at: location))
            } else {
                let tried = [language, fallback].compactMap { $0 }.map { "sounds/\($0)/\(name).wav" }.joined(separator: " or ")
                findings.append(Diagnostic(.error, "\(what) does not exist: no \(tried)", at: location))
            }
        }
        for prompt in ScriptPrompts.located(in: script) { check(prompt.value, at: prompt.location) }
        // Values said through the language pack need its prompt set.
        let pack = LanguagePacks.pack(for: language)
        if pack == nil, ScriptValidator.saysValues(script) {
            findings.append(Diagnostic(.warning, "there is no language pack for '\(language)'; values are said with the \(Interpreter.languagePack(for: script).code) pack", at: script.language.location))
        }
        let usedPack = Interpreter.languagePack(for: script, override: override)
        for (kind, location) in ScriptValidator.valueKinds(script) {
            for name in ScriptValidator.prompts(of: kind, in: usedPack) {
                guard !catalog.contains(name, language: usedPack.code), reported.insert(name).inserted else { continue }
                findings.append(Diagnostic(.error, "prompt '\(name)' (used to say \(kind)) does not exist: no sounds/\(usedPack.code)/\(name).wav", at: location))
            }
        }
        return findings
    }

    static func saysValues(_ script: IVRScript) -> Bool { !valueKinds(script).isEmpty }

    /// Which kinds of values the script says, with where.
    static func valueKinds(_ script: IVRScript) -> [(String, SourceLocation)] {
        var result: [(String, SourceLocation)] = []
        for node in script.nodes {
            switch node.verb {
            case .say(let verb):
                for item in verb.items {
                    switch item {
                    case .prompt: break
                    case .digits(let value): result.append(("digits", value.location))
                    case .number(let value): result.append(("number", value.location))
                    case .money(let value, _): result.append(("money", value.location))
                    case .duration(let value): result.append(("duration", value.location))
                    case .date(let value): result.append(("date", value.location))
                    }
                }
            case .balance(let verb) where verb.say: result.append(("money", node.location))
            case .dial(let verb) where verb.announceMaxDuration: result.append(("duration", node.location))
            default: break
            }
        }
        return result
    }

    /// The prompts a pack uses for one kind of value (for prompt-existence checks).
    static func prompts(of kind: String, in pack: any LanguagePack) -> [String] {
        let names = pack.phrases.keys.sorted()
        switch kind {
        case "digits": return pack.digits("0123456789*#+")
        case "date": return names
        default: return names.filter { !$0.hasPrefix("month-") && !$0.hasPrefix("ordinal-") }
        }
    }

    func scriptReferences(_ script: IVRScript) -> [Diagnostic] {
        guard let library else { return [] }
        var findings: [Diagnostic] = []
        func check(_ name: Located<String>, node: Located<String>?) {
            if name.value == script.name.value {
                if let node, script.node(named: node.value) == nil {
                    findings.append(Diagnostic(.error, "script '\(name.value)' has no node '\(node.value)'", at: node.location))
                }
                return
            }
            guard let other = library.script(named: name.value) else {
                findings.append(Diagnostic(.error, "script '\(name.value)' does not exist (known: \(library.names.joined(separator: ", ")))", at: name.location))
                return
            }
            if let node, other.node(named: node.value) == nil {
                findings.append(Diagnostic(.error, "script '\(name.value)' has no node '\(node.value)'", at: node.location))
            }
        }
        for node in script.nodes {
            switch node.verb {
            case .goto(let verb): if let target = verb.script { check(target, node: verb.node) }
            case .callback(let verb): if let target = verb.script { check(target, node: verb.node) }
            default: break
            }
        }
        return findings
    }

    func warnings(_ script: IVRScript) -> [Diagnostic] {
        var findings: [Diagnostic] = []
        for node in script.nodes {
            switch node.verb {
            case .authenticate(let verb):
                // Wherever `ani` is listed it can succeed (a call from a trusted source under
                // anumberhandling 2 or 3, or a callback leg), and then no PIN is asked.
                let methods = verb.methods.map(\.value)
                if let ani = verb.methods.first(where: { $0.value == .ani }) {
                    if !methods.contains(.pin), !methods.contains(.password), !methods.contains(.sipDigest) {
                        findings.append(Diagnostic(.warning, "node '\(node.name)' trusts the caller ID (ani) without a PIN; caller IDs can be spoofed — add pin to 'methods'", at: ani.location))
                    } else {
                        findings.append(Diagnostic(.warning, "node '\(node.name)' lets the caller ID (ani) log in without a PIN when the call comes from a trusted source (trusted-sources) or is a callback leg, under anumberhandling 2 or 3; a trusted trunk that passes on spoofed caller IDs logs spoofers in", at: ani.location))
                    }
                }
            case .play, .say, .set, .balance, .rememberCaller:
                if node.target(for: "next") == nil {
                    findings.append(Diagnostic(.warning, "node '\(node.name)' has no 'next': the call ends after it; end with a 'hangup' node to say so", at: node.location))
                }
            case .collect, .menu:
                if node.target(for: "exhausted") == nil {
                    findings.append(Diagnostic(.warning, "node '\(node.name)' has no 'exhausted' outcome: the call ends when attempts run out", at: node.location))
                }
            default:
                break
            }
        }
        return findings
    }
}
