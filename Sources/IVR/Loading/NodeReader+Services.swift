import Foundation

/// Readers of the verbs that talk to services and of `branch`.
extension NodeReader {
    func readBranch(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["cases", "else"])
        let list = try map.required("cases").list("'cases' of \(what)", singleAllowed: false)
        if list.isEmpty { throw ScriptError("'cases' of \(what) is empty", at: map.keyLocation("cases") ?? map.location) }
        var cases: [BranchCase] = []
        var transitions: [Transition] = []
        for item in list {
            let entry = try item.mapping("a case of \(what)")
            try entry.rejectUnknownKeys(["if", "then"])
            let source = try entry.required("if").string("'if'")
            let condition = item.checkMeaning ? try Expression.parse(source.value, at: source.location) : .literal(.null)
            let target = try entry.required("then").string("'then'")
            cases.append(BranchCase(condition: condition, source: source, target: target))
            transitions.append(Transition(outcome: "if \(source.value)", target: target))
        }
        let otherwise = try map.optional("else")?.string("'else'")
        if let otherwise { transitions.append(Transition(outcome: "else", target: otherwise)) }
        return (.branch(BranchVerb(cases: cases, otherwise: otherwise)), transitions)
    }

    func readAuthenticate(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["methods", "pin", "account", "password", "remember-caller", "on"])
        let list = try map.required("methods").list("'methods' of \(what)", singleAllowed: true)
        if list.isEmpty { throw ScriptError("'methods' of \(what) is empty", at: map.keyLocation("methods") ?? map.location) }
        var methods: [Located<AuthenticationMethod>] = []
        for item in list {
            let name = try item.string("an authentication method")
            guard let method = AuthenticationMethod(rawValue: name.value) else {
                throw ScriptError("unknown authentication method '\(name.value)'; methods: \(AuthenticationMethod.allCases.map(\.rawValue).joined(separator: ", "))", at: name.location)
            }
            guard !methods.contains(where: { $0.value == method }) else {
                throw ScriptError("authentication method '\(name.value)' is listed twice", at: name.location)
            }
            methods.append(Located(method, at: name.location))
        }
        let location = map.location
        func input(_ key: String, _ fallback: CollectVerb) throws -> CollectVerb {
            guard let value = map.optional(key) else { return fallback }
            let options = try value.mapping("'\(key)' of \(what)")
            try options.rejectUnknownKeys(NodeReader.collectOptionKeys)
            return try collectOptions(options, "'\(key)' of \(what)", variable: fallback.variable, defaults: fallback)
        }
        let verb = AuthenticateVerb(
            methods: methods,
            pin: try input("pin", AuthenticateVerb.defaultInput(prompt: "enter-pin", variable: "pin", digits: 4...8, at: location)),
            account: try input("account", AuthenticateVerb.defaultInput(prompt: "enter-account", variable: "account-number", digits: 3...16, at: location)),
            password: try input("password", AuthenticateVerb.defaultInput(prompt: "enter-password", variable: "password", digits: 4...16, at: location)),
            rememberCaller: try bool(map, "remember-caller", default: false))
        return (.authenticate(verb), try transitions(map, what, outcomes: AuthenticateVerb.outcomes, next: false, requiredOutcomes: ["ok"]))
    }

    func readCreditCheck(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["for", "blocked-prefixes", "on"])
        let destination = try map.required("for").template("'for'")
        let prefixes = try (map.optional("blocked-prefixes")?.list("'blocked-prefixes'", singleAllowed: false) ?? []).map { item in
            let prefix = try item.string("a blocked prefix")
            guard prefix.value.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "+") }) else {
                throw ScriptError("blocked prefix '\(prefix.value)' must be digits (optionally starting with '+')", at: prefix.location)
            }
            return prefix
        }
        let verb = CreditCheckVerb(destination: destination, blockedPrefixes: prefixes)
        return (.creditCheck(verb), try transitions(map, what, outcomes: CreditCheckVerb.outcomes, next: false, requiredOutcomes: ["ok"]))
    }

    func readBalance(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["prompt", "say", "next"])
        var prompts = try self.prompts(map, "prompt", what)
        if map.optional("prompt") == nil { prompts = [Located("your-balance-is", at: map.location)] }
        let verb = BalanceVerb(prompts: prompts, say: try bool(map, "say", default: true))
        return (.balance(verb), try transitions(map, what, outcomes: [], next: true))
    }

    func readDial(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["to", "caller-id", "ring-timeout", "max-duration",
                                                          "announce-max-duration", "warning", "keys", "on"])
        let toList = try map.required("to").list("'to' of \(what)", singleAllowed: true)
        if toList.isEmpty { throw ScriptError("'to' of \(what) is empty", at: map.keyLocation("to") ?? map.location) }
        if toList.count > 32 { throw ScriptError("'to' of \(what) lists more than 32 numbers", at: map.keyLocation("to") ?? map.location) }
        var keys: [String: DialKeyAction] = [:]
        if let keysValue = map.optional("keys") {
            let keysMap = try keysValue.mapping("'keys' of \(what)")
            for (sequence, action) in keysMap.entries {
                guard (1...8).contains(sequence.value.count), sequence.value.allSatisfy(NodeReader.dtmfKeys.contains) else {
                    throw ScriptError("in-call key sequence '\(sequence.value)' must be 1 to 8 keys of 0-9, *, #", at: sequence.location)
                }
                let name = try action.string("a key action")
                guard let parsed = DialKeyAction(rawValue: name.value) else {
                    throw ScriptError("unknown in-call action '\(name.value)'; actions: \(DialKeyAction.allCases.map(\.rawValue).joined(separator: ", "))", at: name.location)
                }
                keys[sequence.value] = parsed
            }
        }
        let verb = DialVerb(
            to: try toList.map { try $0.template("a number to dial") },
            callerID: try map.optional("caller-id")?.template("'caller-id'"),
            ringTimeoutSeconds: (try map.optional("ring-timeout")?.milliseconds("'ring-timeout'", in: 5000...300_000) ?? 45_000) / 1000,
            maxDurationSeconds: (try map.optional("max-duration")?.milliseconds("'max-duration'", in: 1000...86_400_000)).map { $0 / 1000 },
            announceMaxDuration: try bool(map, "announce-max-duration", default: false),
            warningSeconds: (try map.optional("warning")?.milliseconds("'warning'", in: 1000...600_000)).map { $0 / 1000 },
            keys: keys)
        return (.dial(verb), try transitions(map, what, outcomes: DialVerb.outcomes, next: false))
    }

    func readCallback(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["to", "caller-id", "delay", "script", "node", "next", "on"])
        let location = map.location
        let verb = CallbackVerb(
            to: try map.optional("to")?.template("'to'") ?? Template(parts: [.variable(VariablePath(["caller"]))], location: location),
            callerID: try map.optional("caller-id")?.template("'caller-id'"),
            delaySeconds: try map.optional("delay").map { try $0.milliseconds("'delay'", in: 0...3_600_000) / 1000 },
            script: try map.optional("script")?.string("'script'"),
            node: try map.optional("node")?.string("'node'"))
        return (.callback(verb), try transitions(map, what, outcomes: CallbackVerb.outcomes, next: true))
    }

    func readRememberCaller(_ map: YAMLMapping, _ what: String) throws -> (Verb, [Transition]) {
        try map.rejectUnknownKeys(NodeReader.commonKeys + ["number", "next"])
        let number = try map.optional("number")?.template("'number'")
            ?? Template(parts: [.variable(VariablePath(["caller"]))], location: map.location)
        return (.rememberCaller(RememberCallerVerb(number: number)), try transitions(map, what, outcomes: [], next: true))
    }
}
