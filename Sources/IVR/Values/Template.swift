import Foundation

/// A script value that may refer to variables: `"$destination"`, `"${account.balance}"`,
/// `"+49$number"`, or a plain literal. A template that is exactly one variable keeps the
/// variable's type (a number stays a number); otherwise the parts are joined as text.
public struct Template: Sendable, Equatable, CustomStringConvertible {
    public enum Part: Sendable, Equatable {
        case literal(IVRValue)
        case variable(VariablePath)
    }

    public var parts: [Part]
    public var location: SourceLocation

    public init(parts: [Part], location: SourceLocation) {
        self.parts = parts
        self.location = location
    }

    public static func literal(_ value: IVRValue, at location: SourceLocation) -> Template {
        Template(parts: [.literal(value)], location: location)
    }

    /// Parses `$name`, `${dotted.path}` and literal text; `$$` is a literal dollar sign.
    public static func parse(_ text: String, at location: SourceLocation) throws -> Template {
        var parts: [Part] = []
        var literal = ""
        var index = text.startIndex
        func flushLiteral() {
            if !literal.isEmpty { parts.append(.literal(.string(literal))); literal = "" }
        }
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else {
                literal.append(character)
                index = text.index(after: index)
                continue
            }
            let afterDollar = text.index(after: index)
            if afterDollar < text.endIndex, text[afterDollar] == "$" {
                literal.append("$")
                index = text.index(after: afterDollar)
                continue
            }
            if afterDollar < text.endIndex, text[afterDollar] == "{" {
                guard let close = text[afterDollar...].firstIndex(of: "}") else {
                    throw ScriptError("unclosed '${' in \"\(text)\"", at: location)
                }
                let inner = String(text[text.index(after: afterDollar)..<close])
                guard let path = VariablePath(parsing: inner) else {
                    throw ScriptError("'${\(inner)}' is not a variable name (letters, digits, '_', '-', separated by '.')", at: location)
                }
                flushLiteral()
                parts.append(.variable(path))
                index = text.index(after: close)
                continue
            }
            // $name or $name.field: letters, digits, '_' and '.' between names.
            var end = afterDollar
            while end < text.endIndex {
                let current = text[end]
                if VariablePath.isNameCharacter(current) {
                    end = text.index(after: end)
                } else if current == ".", text.index(after: end) < text.endIndex,
                          VariablePath.isNameCharacter(text[text.index(after: end)]), end > afterDollar {
                    end = text.index(after: end)
                } else {
                    break
                }
            }
            guard end > afterDollar, let path = VariablePath(parsing: String(text[afterDollar..<end])) else {
                throw ScriptError("'$' must be followed by a variable name in \"\(text)\" (write '$$' for a dollar sign)", at: location)
            }
            flushLiteral()
            parts.append(.variable(path))
            index = end
        }
        flushLiteral()
        if parts.isEmpty { parts = [.literal(.string(""))] }
        return Template(parts: parts, location: location)
    }

    /// Every variable the template reads.
    public var variables: [VariablePath] {
        parts.compactMap { if case .variable(let path) = $0 { return path } else { return nil } }
    }

    /// The literal value when the template refers to no variable.
    public var literalValue: IVRValue? {
        if parts.count == 1, case .literal(let value) = parts[0] { return value }
        return nil
    }

    /// Evaluates against the call's variables. Unset variables read as null (empty text).
    public func evaluate(in context: CallContext) -> IVRValue {
        if parts.count == 1 {
            switch parts[0] {
            case .literal(let value): return value
            case .variable(let path): return context.value(at: path) ?? .null
            }
        }
        var text = ""
        for part in parts {
            switch part {
            case .literal(let value): text += value.text
            case .variable(let path): text += (context.value(at: path) ?? .null).text
            }
        }
        return .string(text)
    }

    public var description: String {
        parts.map { part -> String in
            switch part {
            case .literal(.string(let text)): return text.replacingOccurrences(of: "$", with: "$$")
            case .literal(let value): return value.text
            case .variable(let path): return "${" + path.components.joined(separator: ".") + "}"
            }
        }.joined()
    }
}
