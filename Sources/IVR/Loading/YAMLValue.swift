import Foundation
import Yams

/// A composed YAML node with its file, giving typed, located reads that throw
/// `ScriptError`s naming the offending place. The loader is built from these.
struct YAMLValue {
    let node: Node
    let file: String
    /// Where the value starts; a mapping key's location when the value has no mark.
    let location: SourceLocation
    /// False when only the checks the JSON Schema can express are wanted (the schema
    /// agreement test): ranges, regular expressions, expressions and references are skipped.
    let checkMeaning: Bool

    init(_ node: Node, file: String, fallback: SourceLocation, checkMeaning: Bool = true) {
        self.node = node
        self.file = file
        self.checkMeaning = checkMeaning
        if let mark = node.mark {
            self.location = SourceLocation(file: file, line: mark.line, column: mark.column)
        } else {
            self.location = fallback
        }
    }

    func error(_ message: String) -> ScriptError { ScriptError(message, at: location) }

    var kindName: String {
        switch node {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The text of a scalar, whatever YAML type it would resolve to: keys such as `1:`
    /// or `on:` and values such as `digits: 4` are read as written.
    func scalarText(_ what: String) throws -> String {
        guard case .scalar(let scalar) = node else {
            throw error("\(what) must be a scalar, not \(kindName)")
        }
        return scalar.string
    }

    var isPlain: Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain || scalar.style == .any
    }

    /// What a plain scalar is under the YAML 1.2 core schema (the one the JSON Schema check
    /// uses): "null", "boolean", "integer", "number" or "string".
    var coreType: String {
        guard case .scalar(let scalar) = node else { return kindName }
        guard isPlain else { return "string" }
        let text = scalar.string
        if ["", "~", "null", "Null", "NULL"].contains(text) { return "null" }
        if ["true", "True", "TRUE", "false", "False", "FALSE"].contains(text) { return "boolean" }
        if text.range(of: #"^[-+]?[0-9]+$|^0o[0-7]+$|^0x[0-9a-fA-F]+$"#, options: .regularExpression) != nil { return "integer" }
        if text.range(of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$|^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$"#,
                      options: .regularExpression) != nil { return "number" }
        return "string"
    }

    /// Text. A plain scalar YAML reads as a number, boolean or null is refused: quote it.
    func string(_ what: String) throws -> Located<String> {
        let text = try scalarText(what)
        if isNull { throw error("\(what) must not be empty") }
        let type = coreType
        guard type == "string" else { throw error("\(what) must be text, not a \(type) (write \"\(text)\" in quotes)") }
        return Located(text, at: location)
    }

    func bool(_ what: String) throws -> Bool {
        let text = try scalarText(what)
        guard isPlain else { throw error("\(what) must be true or false without quotes") }
        switch text {
        case "true", "True", "TRUE": return true
        case "false", "False", "FALSE": return false
        default: throw error("\(what) must be true or false, not '\(text)'")
        }
    }

    func integer(_ what: String, in range: ClosedRange<Int>) throws -> Int {
        let text = try scalarText(what)
        guard coreType == "integer", let value = Int(text) else { throw error("\(what) must be a whole number, not '\(text)'") }
        guard range.contains(value) else {
            throw error("\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
        }
        return value
    }

    /// A duration: `6s`, `500ms`, `2m`, `1.5s`, or a bare number of seconds.
    func milliseconds(_ what: String, in range: ClosedRange<Int>) throws -> Int {
        let text = try scalarText(what).trimmingCharacters(in: .whitespaces)
        guard let value = YAMLValue.parseDuration(text) else {
            throw error("\(what) must be a duration such as 5s, 500ms or 2m, not '\(text)'")
        }
        guard range.contains(value) || !checkMeaning else {
            throw error("\(what) must be between \(YAMLValue.formatDuration(range.lowerBound)) and \(YAMLValue.formatDuration(range.upperBound)), not \(text)")
        }
        return value
    }

    static func parseDuration(_ text: String) -> Int? {
        let units: [(String, Decimal)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000), ("", 1000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            let number = String(text.dropLast(suffix.count))
            guard !number.isEmpty, !number.hasPrefix("-"), !number.hasPrefix("+"),
                  let value = IVRValue.parseDecimal(number) else { continue }
            let milliseconds = value * factor
            guard milliseconds <= 86_400_000 else { return nil }
            return NSDecimalNumber(decimal: milliseconds).intValue
        }
        return nil
    }

    static func formatDuration(_ milliseconds: Int) -> String {
        milliseconds % 1000 == 0 ? "\(milliseconds / 1000)s" : "\(milliseconds)ms"
    }

    func mapping(_ what: String) throws -> YAMLMapping {
        guard case .mapping(let mapping) = node else {
            throw error("\(what) must be a mapping, not \(kindName)")
        }
        var entries: [(key: Located<String>, value: YAMLValue)] = []
        for (keyNode, valueNode) in mapping {
            let key = YAMLValue(keyNode, file: file, fallback: location, checkMeaning: checkMeaning)
            let name = try key.scalarText("a key in \(what)")
            entries.append((Located(name, at: key.location), YAMLValue(valueNode, file: file, fallback: key.location, checkMeaning: checkMeaning)))
        }
        return YAMLMapping(entries: entries, location: location, what: what)
    }

    /// A list; a single scalar is accepted as a list of one where `singleAllowed`.
    func list(_ what: String, singleAllowed: Bool) throws -> [YAMLValue] {
        switch node {
        case .sequence(let sequence):
            return sequence.map { YAMLValue($0, file: file, fallback: location, checkMeaning: checkMeaning) }
        case .scalar where singleAllowed:
            return [self]
        default:
            throw error("\(what) must be a list, not \(kindName)")
        }
    }

    /// A scalar as a script value: plain numbers and booleans keep their type, quoted
    /// text and everything else are templates (`$var` interpolation).
    func template(_ what: String) throws -> Template {
        guard case .scalar(let scalar) = node else {
            throw error("\(what) must be a scalar value, not \(kindName)")
        }
        if scalar.style == .plain || scalar.style == .any {
            if isNull { return .literal(.null, at: location) }
            if scalar.string == "true" { return .literal(.bool(true), at: location) }
            if scalar.string == "false" { return .literal(.bool(false), at: location) }
            if let number = IVRValue.parseDecimal(scalar.string), !scalar.string.hasPrefix("+"),
               !(scalar.string.count > 1 && scalar.string.hasPrefix("0") && !scalar.string.hasPrefix("0.")) {
                return .literal(.number(number), at: location)
            }
        }
        do {
            return try Template.parse(scalar.string, at: location)
        } catch where !checkMeaning {
            return .literal(.string(scalar.string), at: location)
        }
    }
}

/// A YAML mapping read key by key; `finish` reports keys nobody asked for.
struct YAMLMapping {
    let entries: [(key: Located<String>, value: YAMLValue)]
    let location: SourceLocation
    let what: String

    var keys: [String] { entries.map(\.key.value) }

    func optional(_ key: String) -> YAMLValue? {
        entries.first { $0.key.value == key }?.value
    }

    func keyLocation(_ key: String) -> SourceLocation? {
        entries.first { $0.key.value == key }?.key.location
    }

    func required(_ key: String) throws -> YAMLValue {
        guard let value = optional(key) else {
            throw ScriptError("\(what) needs '\(key)'", at: location)
        }
        return value
    }

    /// Throws for the first key not in `allowed`, suggesting the closest allowed key.
    func rejectUnknownKeys(_ allowed: [String]) throws {
        for entry in entries where !allowed.contains(entry.key.value) {
            var message = "unknown key '\(entry.key.value)' in \(what)"
            if let suggestion = closest(to: entry.key.value, in: allowed) {
                message += " (did you mean '\(suggestion)'?)"
            }
            message += "; allowed: " + allowed.joined(separator: ", ")
            throw ScriptError(message, at: entry.key.location)
        }
    }
}

/// The candidate nearest by edit distance, when near enough to be a likely typo.
func closest(to word: String, in candidates: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1] + Array(repeating: 0, count: b.count)
            for (j, y) in b.enumerated() {
                current[j + 1] = Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
    let target = Array(word)
    let scored = candidates.map { ($0, distance(target, Array($0))) }.min { $0.1 < $1.1 }
    guard let (best, score) = scored, score <= (word.count <= 3 ? 1 : Swift.max(2, word.count / 3)) else { return nil }
    return best
}
