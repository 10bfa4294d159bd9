import Foundation
import Yams

/// The loader's working state: reads the document and collects diagnostics.
struct ScriptReader {
    let file: String
    let checkMeaning: Bool
    var diagnostics: [Diagnostic] = []

    init(file: String, checkMeaning: Bool = true) {
        self.file = file
        self.checkMeaning = checkMeaning
    }

    var origin: SourceLocation { SourceLocation(file: file, line: 1, column: 1) }

    mutating func record(_ error: ScriptError) {
        diagnostics.append(Diagnostic(error))
    }

    mutating func read(yaml: String) -> IVRScript? {
        let root: Node
        do {
            var documents = try PlainYAML.composeAll(yaml)
            guard let first = documents.next() else {
                if let error = documents.error { throw error }
                record(ScriptError("the file is empty; a script needs 'script', 'start' and 'nodes'", at: origin))
                return nil
            }
            if documents.next() != nil {
                record(ScriptError("a script file holds one YAML document; found a second one", at: origin))
            } else if let error = documents.error {
                throw error
            }
            root = first
        } catch let error as YamlError {
            record(ScriptReader.scriptError(from: error, file: file))
            return nil
        } catch {
            record(ScriptError("cannot parse YAML: \(error)", at: origin))
            return nil
        }
        do {
            return try readScript(YAMLValue(root, file: file, fallback: origin, checkMeaning: checkMeaning))
        } catch let error as ScriptError {
            record(error)
            return nil
        } catch {
            record(ScriptError("\(error)", at: origin))
            return nil
        }
    }

    static func scriptError(from error: YamlError, file: String) -> ScriptError {
        func at(_ mark: Mark) -> SourceLocation { SourceLocation(file: file, line: mark.line, column: mark.column) }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _), let .composer(context, problem, mark, _):
            let text = [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ": ")
            return ScriptError("invalid YAML: \(text)", at: at(mark))
        case .duplicatedKeysInMapping:
            let duplicates = YAMLDuplicateKeys(error)!
            return ScriptError(duplicates.message, at: SourceLocation(file: file, line: duplicates.line ?? 1, column: duplicates.column ?? 1))
        case let .reader(problem, offset, _, _):
            return ScriptError("invalid text: \(problem)" + (offset.map { " at byte \($0)" } ?? ""), at: SourceLocation(file: file, line: 1, column: 1))
        default:
            return ScriptError("invalid YAML: \(error)", at: SourceLocation(file: file, line: 1, column: 1))
        }
    }

    mutating func readScript(_ root: YAMLValue) throws -> IVRScript {
        let top = try root.mapping("the script")
        try top.rejectUnknownKeys(ScriptLoader.topLevelKeys)
        let name = try top.required("script").string("'script'")
        let description = try top.optional("description")?.string("'description'").value
        let language = try top.optional("language")?.string("'language'") ?? Located("en", at: name.location)
        try checkLanguageCode(language)
        let fallback = try top.optional("fallback-language")?.string("'fallback-language'")
        if let fallback { try checkLanguageCode(fallback) }
        let inputs = try (top.optional("inputs")?.list("'inputs'", singleAllowed: false) ?? []).map { item -> Located<String> in
            let name = try item.string("an input variable")
            guard VariablePath.isValidComponent(name.value) else {
                throw ScriptError("'\(name.value)' is not a variable name", at: name.location)
            }
            return name
        }
        let start = try top.required("start").string("'start'")
        let nodesMapping = try top.required("nodes").mapping("'nodes'")
        if nodesMapping.entries.isEmpty { throw ScriptError("'nodes' is empty; a script needs at least one node", at: nodesMapping.location) }

        var nodes: [ScriptNode] = []
        for (key, value) in nodesMapping.entries {
            do {
                guard ScriptReader.isValidNodeName(key.value) else {
                    throw ScriptError("node name '\(key.value)' must be letters, digits, '-' or '_'", at: key.location)
                }
                nodes.append(try NodeReader(name: key, value: value).read())
            } catch let error as ScriptError {
                record(error)
            }
        }
        let script = IVRScript(name: name, description: description, language: language, fallbackLanguage: fallback,
                               inputs: inputs, start: start, nodes: nodes, file: file)
        if checkMeaning { checkTargets(script, declared: Set(nodesMapping.keys)) }
        return script
    }

    mutating func checkLanguageCode(_ code: Located<String>) throws {
        let valid = (2...8).contains(code.value.count) && code.value.allSatisfy { ($0.isASCII && $0.isLowercase) || $0 == "-" }
        if !valid { throw ScriptError("language '\(code.value)' must be a lower-case code such as en, de or es", at: code.location) }
    }

    /// Every transition and the start must name a node of the script.
    mutating func checkTargets(_ script: IVRScript, declared: Set<String>) {
        let names = script.nodes.map(\.name)
        func check(_ target: Located<String>, _ what: String) {
            guard !declared.contains(target.value) else { return }
            var message = "\(what) names node '\(target.value)', which does not exist"
            if let suggestion = closest(to: target.value, in: names) { message += " (did you mean '\(suggestion)'?)" }
            record(ScriptError(message, at: target.location))
        }
        check(script.start, "'start'")
        for node in script.nodes {
            for transition in node.transitions {
                check(transition.target, "outcome '\(transition.outcome)' of node '\(node.name)'")
            }
        }
    }

    static func isValidNodeName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
