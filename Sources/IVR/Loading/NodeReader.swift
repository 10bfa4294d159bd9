import Foundation

/// Reads one node: `do:` picks the verb, whose reader checks its options and outcomes.
struct NodeReader {
    let name: Located<String>
    let value: YAMLValue

    static let commonKeys = ["do", "description"]

    /// Verb names accepted after `do:`.
    static let verbs = ["play", "say", "collect", "menu", "hangup", "set", "goto", "branch", "authenticate",
                        "credit-check", "balance", "dial", "callback", "remember-caller"]

    func read() throws -> ScriptNode {
        let map = try value.mapping("node '\(name.value)'")
        let verb = try map.required("do").string("'do' of node '\(name.value)'")
        let what = "node '\(name.value)' (\(verb.value))"
        if let description = map.optional("description") { _ = try description.string("'description'") }
        let result: (Verb, [Transition])
        switch verb.value {
        case "play": result = try readPlay(map, what)
        case "say": result = try readSay(map, what)
        case "collect": result = try readCollect(map, what)
        case "menu": result = try readMenu(map, what)
        case "hangup": result = try readHangup(map, what)
        case "set": result = try readSet(map, what)
        case "goto": result = try readGoto(map, what)
        case "branch": result = try readBranch(map, what)
        case "authenticate": result = try readAuthenticate(map, what)
        case "credit-check": result = try readCreditCheck(map, what)
        case "balance": result = try readBalance(map, what)
        case "dial": result = try readDial(map, what)
        case "callback": result = try readCallback(map, what)
        case "remember-caller": result = try readRememberCaller(map, what)
        default:
            var message = "unknown verb '\(verb.value)'"
            if let suggestion = closest(to: verb.value, in: NodeReader.verbs) { message += " (did you mean '\(suggestion)'?)" }
            message += "; verbs: " + NodeReader.verbs.joined(separator: ", ")
            throw ScriptError(message, at: verb.location)
        }
        return ScriptNode(name: name.value, location: name.location, verb: result.0, transitions: result.1)
    }

    // MARK: Shared option readers

    /// `prompt: name` or `prompt: [a, b]`.
    func prompts(_ map: YAMLMapping, _ key: String, _ what: String, required: Bool = false) throws -> [Located<String>] {
        guard let value = map.optional(key) else {
            if required { throw ScriptError("\(what) needs '\(key)'", at: map.location) }
            return []
        }
        let items = try value.list("'\(key)' of \(what)", singleAllowed: true)
        if items.isEmpty && required { throw ScriptError("'\(key)' of \(what) must name at least one prompt", at: value.location) }
        return try items.map { item in
            let prompt = try item.string("a prompt name")
            guard PromptName.isValid(prompt.value) else {
                throw ScriptError("prompt name '\(prompt.value)' must be lower-case letters, digits, '-', '_' or '/' (a file under sounds/<language>/ without extension)", at: prompt.location)
            }
            return prompt
        }
    }

    /// `next:` and/or `on: { outcome: node }` restricted to the verb's outcomes.
    func transitions(_ map: YAMLMapping, _ what: String, outcomes: [String], next: Bool, requiredOutcomes: [String] = []) throws -> [Transition] {
        var result: [Transition] = []
        if let nextValue = map.optional("next") {
            guard next else { throw ScriptError("\(what) has no 'next'; its outcomes go under 'on': \(outcomes.joined(separator: ", "))", at: map.keyLocation("next") ?? map.location) }
            result.append(Transition(outcome: "next", target: try nextValue.string("'next'")))
        }
        if let onValue = map.optional("on") {
            guard !outcomes.isEmpty else { throw ScriptError("\(what) has no outcomes; use 'next'", at: map.keyLocation("on") ?? map.location) }
            let on = try onValue.mapping("'on' of \(what)")
            try on.rejectUnknownKeys(outcomes)
            for (key, target) in on.entries {
                result.append(Transition(outcome: key.value, target: try target.string("outcome '\(key.value)'")))
            }
        }
        for outcome in requiredOutcomes where !result.contains(where: { $0.outcome == outcome }) {
            throw ScriptError("\(what) needs a target for outcome '\(outcome)' under 'on'", at: map.keyLocation("on") ?? map.location)
        }
        return result
    }

    func bool(_ map: YAMLMapping, _ key: String, default defaultValue: Bool) throws -> Bool {
        try map.optional(key)?.bool("'\(key)'") ?? defaultValue
    }

    // MARK: Verbs

    func readPlay(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["prompt", "barge-in", "next"])
        let verb = PlayVerb(prompts: try prompts(map, "prompt", what, required: true),
                            bargeIn: try bool(map, "barge-in", default: false))
        return (.play(verb), try transitions(map, what, outcomes: [], next: true))
    }

    func readSay(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["say", "barge-in", "next"])
        let list = try map.required("say").list("'say' of \(what)", singleAllowed: true)
        if list.isEmpty { throw ScriptError("'say' of \(what) is empty", at: map.keyLocation("say") ?? map.location) }
        let items = try list.map(readSayItem)
        let verb = SayVerb(items: items, bargeIn: try bool(map, "barge-in", default: false))
        return (.say(verb), try transitions(map, what, outcomes: [], next: true))
    }

    func readSayItem(_ item: YAMLValue) throws -> SayItem {
        if case .scalar = item.node {
            let prompt = try item.string("a prompt name")
            guard PromptName.isValid(prompt.value) else {
                throw ScriptError("prompt name '\(prompt.value)' must be lower-case letters, digits, '-', '_' or '/'", at: prompt.location)
            }
            return .prompt(prompt)
        }
        let map = try item.mapping("a 'say' item")
        let kinds = map.keys.filter { SayItem.valueKinds.contains($0) }
        guard kinds.count == 1, let kind = kinds.first else {
            throw ScriptError("a 'say' item is a prompt name or one of { \(SayItem.valueKinds.map { "\($0): VALUE" }.joined(separator: " | ")) }", at: map.location)
        }
        try map.rejectUnknownKeys(kind == "money" ? ["money", "currency"] : [kind])
        let value = try map.required(kind).template("'\(kind)'")
        switch kind {
        case "digits": return .digits(value)
        case "number": return .number(value)
        case "money": return .money(value, currency: try map.optional("currency")?.template("'currency'"))
        case "duration": return .duration(value)
        default: return .date(value)
        }
    }

    /// `digits: 4..8`, `digits: 4` (exactly four), `digits: 1..` (1 to 32), `digits: ..6`.
    /// The form is checked always; the counts (0 to 32, non-empty, at least one digit) are
    /// meaning checks, as the JSON Schema cannot express them.
    func digitRange(_ value: YAMLValue) throws -> ClosedRange<Int> {
        let text = try value.scalarText("'digits'")
        let limit = 32
        guard text.range(of: #"^[0-9]+$|^[0-9]*\.\.[0-9]*$"#, options: .regularExpression) != nil,
              value.coreType == "integer" || value.coreType == "string" else {
            throw value.error("'digits' must be a count or a range such as 4..8, not '\(text)'")
        }
        let bounds = text.components(separatedBy: "..").map { Int($0) }
        let low = (bounds.first ?? nil) ?? 0
        let high = bounds.count == 2 ? (bounds[1] ?? limit) : low
        guard value.checkMeaning else { return Swift.min(low, high)...Swift.max(low, high) }
        guard low <= limit, high <= limit else {
            throw value.error("'digits' must be a count or a range such as 4..8 with counts from 0 to \(limit), not '\(text)'")
        }
        guard low <= high else { throw value.error("'digits' range \(text) is empty: \(low) is more than \(high)") }
        guard high >= 1 else { throw value.error("'digits' must allow at least one digit") }
        return low...high
    }

    static let dtmfKeys: Set<Character> = Set("0123456789*#ABCD")

    func dtmfKey(_ value: YAMLValue, _ what: String) throws -> Character {
        let text = try value.scalarText(what)
        guard value.coreType == "string", text.count == 1, let key = text.first, NodeReader.dtmfKeys.contains(key) else {
            throw value.error("\(what) must be one key: 0-9, *, #, A-D; not '\(text)'")
        }
        return key
    }

    static let collectOptionKeys = ["prompt", "digits", "terminator", "timeout", "inter-digit-timeout", "pattern", "attempts",
                                    "invalid-prompt", "no-input-prompt", "barge-in"]

    /// The input options shared by `collect` and the PIN/password entry of `authenticate`.
    func collectOptions(_ map: YAMLMapping, _ what: String, variable: Located<String>, defaults: CollectVerb? = nil) throws -> CollectVerb {
        let range: ClosedRange<Int>
        if let digits = map.optional("digits") {
            range = try digitRange(digits)
        } else if let defaults {
            range = defaults.minDigits...defaults.maxDigits
        } else {
            throw ScriptError("\(what) needs 'digits'", at: map.location)
        }
        let terminator = try map.optional("terminator").map { try dtmfKey($0, "'terminator'") } ?? defaults?.terminator
        var pattern: Located<String>?
        if let patternValue = map.optional("pattern") {
            let text = try patternValue.string("'pattern'")
            if patternValue.checkMeaning, (try? NSRegularExpression(pattern: text.value)) == nil {
                throw ScriptError("'pattern' is not a valid regular expression: \(text.value)", at: text.location)
            }
            pattern = text
        }
        func promptsOrDefault(_ key: String, _ fallback: [Located<String>]?) throws -> [Located<String>] {
            map.optional(key) == nil ? (fallback ?? []) : try prompts(map, key, what)
        }
        return CollectVerb(
            prompts: try promptsOrDefault("prompt", defaults?.prompts),
            minDigits: range.lowerBound, maxDigits: range.upperBound, terminator: terminator,
            firstDigitTimeoutMilliseconds: try map.optional("timeout")?.milliseconds("'timeout'", in: 500...120_000)
                ?? defaults?.firstDigitTimeoutMilliseconds ?? CollectVerb.defaultFirstDigitTimeoutMilliseconds,
            interDigitTimeoutMilliseconds: try map.optional("inter-digit-timeout")?.milliseconds("'inter-digit-timeout'", in: 500...60_000)
                ?? defaults?.interDigitTimeoutMilliseconds ?? CollectVerb.defaultInterDigitTimeoutMilliseconds,
            pattern: pattern ?? defaults?.pattern,
            attempts: try map.optional("attempts")?.integer("'attempts'", in: 1...10) ?? defaults?.attempts ?? CollectVerb.defaultAttempts,
            invalidPrompts: try promptsOrDefault("invalid-prompt", defaults?.invalidPrompts),
            noInputPrompts: try promptsOrDefault("no-input-prompt", defaults?.noInputPrompts),
            variable: variable,
            bargeIn: try bool(map, "barge-in", default: defaults?.bargeIn ?? true))
    }

    func readCollect(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + NodeReader.collectOptionKeys + ["store", "on"])
        let variable = try map.required("store").string("'store'")
        guard VariablePath.isValidComponent(variable.value) else {
            throw ScriptError("'store' must be a variable name (letters, digits, '_', '-'), not '\(variable.value)'", at: variable.location)
        }
        let verb = try collectOptions(map, what, variable: variable)
        return (.collect(verb), try transitions(map, what, outcomes: CollectVerb.outcomes, next: false, requiredOutcomes: ["ok"]))
    }

    func readMenu(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["prompt", "choices", "timeout", "attempts", "invalid-prompt",
                                                          "no-input-prompt", "on"])
        let choicesMap = try map.required("choices").mapping("'choices' of \(what)")
        if choicesMap.entries.isEmpty { throw ScriptError("'choices' of \(what) is empty", at: choicesMap.location) }
        var choices: [(key: Character, target: Located<String>)] = []
        var transitions: [Transition] = []
        for (key, target) in choicesMap.entries {
            guard key.value.count == 1, let character = key.value.first, NodeReader.dtmfKeys.contains(character) else {
                throw ScriptError("menu choice '\(key.value)' must be one key: 0-9, *, #, A-D", at: key.location)
            }
            let node = try target.string("choice '\(key.value)'")
            choices.append((character, node))
            transitions.append(Transition(outcome: key.value, target: node))
        }
        let verb = MenuVerb(
            prompts: try prompts(map, "prompt", what, required: true),
            choices: choices,
            timeoutMilliseconds: try map.optional("timeout")?.milliseconds("'timeout'", in: 500...120_000)
                ?? CollectVerb.defaultFirstDigitTimeoutMilliseconds,
            attempts: try map.optional("attempts")?.integer("'attempts'", in: 1...10) ?? CollectVerb.defaultAttempts,
            invalidPrompts: try prompts(map, "invalid-prompt", what),
            noInputPrompts: try prompts(map, "no-input-prompt", what))
        transitions += try self.transitions(map, what, outcomes: MenuVerb.outcomes, next: false)
        return (.menu(verb), transitions)
    }

    func readHangup(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["prompt", "cause"])
        var cause = HangupCause.normal
        if let causeValue = map.optional("cause") {
            let text = try causeValue.string("'cause'")
            guard let parsed = HangupCause(rawValue: text.value) else {
                throw ScriptError("'cause' must be one of \(HangupCause.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text.value)'", at: text.location)
            }
            cause = parsed
        }
        return (.hangup(HangupVerb(prompts: try prompts(map, "prompt", what), cause: cause)), [])
    }

    func readSet(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["set", "next"])
        let assignmentsMap = try map.required("set").mapping("'set' of \(what)")
        if assignmentsMap.entries.isEmpty { throw ScriptError("'set' of \(what) is empty", at: assignmentsMap.location) }
        var assignments: [(variable: Located<String>, value: SetValue)] = []
        for (key, value) in assignmentsMap.entries {
            guard VariablePath.isValidComponent(key.value) else {
                throw ScriptError("'\(key.value)' is not a variable name (letters, digits, '_', '-')", at: key.location)
            }
            if case .mapping = value.node {
                let expressionMap = try value.mapping("the value of '\(key.value)'")
                try expressionMap.rejectUnknownKeys(["expr"])
                let source = try expressionMap.required("expr").string("'expr'")
                let expression = value.checkMeaning ? try Expression.parse(source.value, at: source.location) : .literal(.null)
                assignments.append((key, .expression(expression, source: source)))
            } else {
                assignments.append((key, .template(try value.template("the value of '\(key.value)'"))))
            }
        }
        return (.set(SetVerb(assignments: assignments)), try transitions(map, what, outcomes: [], next: true))
    }

    func readGoto(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["node", "script"])
        let node = try map.optional("node")?.string("'node'")
        let script = try map.optional("script")?.string("'script'")
        guard node != nil || script != nil else {
            throw ScriptError("\(what) needs 'node' (a node of this script) or 'script' (another script)", at: map.location)
        }
        // A node of another script is checked when that script is known (validate), not here.
        let transitions = script == nil ? [Transition(outcome: "goto", target: node!)] : []
        return (.goto(GotoVerb(node: node, script: script)), transitions)
    }
}
