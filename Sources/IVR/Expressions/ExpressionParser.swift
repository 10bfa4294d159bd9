import Foundation

/// Precedence-climbing parser for `Expression`. Depth is bounded so hostile input cannot
/// exhaust the stack.
struct ExpressionParser {
    enum Token: Equatable {
        case number(Decimal)
        case string(String)
        case variable(VariablePath)
        case word(String)
        case symbol(String)
        case end
    }

    let text: String
    let location: SourceLocation
    var tokens: [(token: Token, offset: Int)] = []
    var position = 0
    var depth = 0
    static let maximumDepth = 64

    init(text: String, location: SourceLocation) {
        self.text = text
        self.location = location
    }

    func error(_ message: String, offset: Int) -> ScriptError {
        // Point into the YAML scalar when it is on one line (quoted scalars start one column later).
        var at = location
        at.column += offset
        return ScriptError("in expression \"\(text)\": \(message)", at: at)
    }

    mutating func parseAll() throws -> Expression {
        tokens = try tokenize()
        let expression = try parse(minimumPrecedence: 1)
        guard case .end = tokens[position].token else {
            throw error("unexpected \(describe(tokens[position].token))", offset: tokens[position].offset)
        }
        return expression
    }

    func describe(_ token: Token) -> String {
        switch token {
        case .number(let value): return "number \(IVRValue.format(value))"
        case .string(let value): return "string \"\(value)\""
        case .variable(let path): return "variable \(path)"
        case .word(let word): return "'\(word)'"
        case .symbol(let symbol): return "'\(symbol)'"
        case .end: return "end of expression"
        }
    }

    mutating func tokenize() throws -> [(token: Token, offset: Int)] {
        var result: [(Token, Int)] = []
        let characters = Array(text)
        var index = 0
        while index < characters.count {
            let character = characters[index]
            let start = index
            if character == " " || character == "\t" { index += 1; continue }
            if character.isASCII && character.isNumber {
                var end = index
                while end < characters.count, characters[end].isASCII, characters[end].isNumber || characters[end] == "." { end += 1 }
                guard let value = IVRValue.parseDecimal(String(characters[index..<end])) else {
                    throw error("'\(String(characters[index..<end]))' is not a number", offset: start)
                }
                result.append((.number(value), start))
                index = end
            } else if character == "\"" || character == "'" {
                var value = ""
                index += 1
                var closed = false
                while index < characters.count {
                    if characters[index] == "\\", index + 1 < characters.count {
                        value.append(characters[index + 1]); index += 2; continue
                    }
                    if characters[index] == character { closed = true; index += 1; break }
                    value.append(characters[index]); index += 1
                }
                guard closed else { throw error("unclosed string", offset: start) }
                result.append((.string(value), start))
            } else if character == "$" {
                var end = index + 1
                let braced = end < characters.count && characters[end] == "{"
                if braced {
                    guard let close = characters[end...].firstIndex(of: "}") else { throw error("unclosed '${'", offset: start) }
                    let name = String(characters[(end + 1)..<close])
                    guard let path = VariablePath(parsing: name) else { throw error("'\(name)' is not a variable name", offset: start) }
                    result.append((.variable(path), start))
                    index = close + 1
                    continue
                }
                while end < characters.count,
                      VariablePath.isNameCharacter(characters[end]) || (characters[end] == "." && end + 1 < characters.count && VariablePath.isNameCharacter(characters[end + 1])) {
                    end += 1
                }
                guard let path = VariablePath(parsing: String(characters[(index + 1)..<end])) else {
                    throw error("'$' must be followed by a variable name", offset: start)
                }
                result.append((.variable(path), start))
                index = end
            } else if character.isASCII && (character.isLetter || character == "_") {
                var end = index
                while end < characters.count, characters[end].isASCII, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" { end += 1 }
                result.append((.word(String(characters[index..<end])), start))
                index = end
            } else {
                let two = index + 1 < characters.count ? String(characters[index...index + 1]) : ""
                if ["==", "!=", "<=", ">=", "&&", "||"].contains(two) {
                    result.append((.symbol(two), start)); index += 2
                } else if "<>+-*/(),!".contains(character) {
                    result.append((.symbol(String(character)), start)); index += 1
                } else {
                    throw error("unexpected character '\(character)'", offset: start)
                }
            }
        }
        result.append((.end, characters.count))
        return result
    }

    func binaryOperator(_ token: Token) -> Expression.BinaryOperator? {
        switch token {
        case .word("and"), .symbol("&&"): return .and
        case .word("or"), .symbol("||"): return .or
        case .symbol(let symbol): return Expression.BinaryOperator(rawValue: symbol).flatMap { [.and, .or].contains($0) ? nil : $0 }
        default: return nil
        }
    }

    mutating func parse(minimumPrecedence: Int) throws -> Expression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= ExpressionParser.maximumDepth else { throw error("nested too deeply", offset: tokens[position].offset) }
        var left = try parseUnary()
        while let op = binaryOperator(tokens[position].token), op.precedence >= minimumPrecedence {
            position += 1
            let right = try parse(minimumPrecedence: op.precedence + 1)
            left = .binary(op, left, right)
        }
        return left
    }

    mutating func parseUnary() throws -> Expression {
        depth += 1
        defer { depth -= 1 }
        guard depth <= ExpressionParser.maximumDepth else { throw error("nested too deeply", offset: tokens[position].offset) }
        let (token, offset) = tokens[position]
        position += 1
        switch token {
        case .number(let value): return .literal(.number(value))
        case .string(let value): return .literal(.string(value))
        case .variable(let path): return .variable(path)
        case .word("true"): return .literal(.bool(true))
        case .word("false"): return .literal(.bool(false))
        case .word("null"): return .literal(.null)
        case .word("not"), .symbol("!"): return .not(try parse(minimumPrecedence: 3))
        case .symbol("-"): return .negate(try parseUnary())
        case .symbol("("):
            let inner = try parse(minimumPrecedence: 1)
            try expect(")")
            return inner
        case .word(let name):
            guard let function = ExpressionFunction(rawValue: name) else {
                var message = "unknown name '\(name)'"
                if let suggestion = closest(to: name, in: ExpressionFunction.allCases.map(\.rawValue)) { message += " (did you mean '\(suggestion)'?)" }
                message += "; variables start with '$', text is quoted"
                throw error(message, offset: offset)
            }
            try expect("(")
            var arguments: [Expression] = []
            if tokens[position].token != .symbol(")") {
                arguments.append(try parse(minimumPrecedence: 1))
                while tokens[position].token == .symbol(",") {
                    position += 1
                    arguments.append(try parse(minimumPrecedence: 1))
                }
            }
            try expect(")")
            guard function.arity.contains(arguments.count) else {
                let expected = function.arity.count == 1 ? "\(function.arity.lowerBound)" : "\(function.arity.lowerBound) to \(function.arity.upperBound)"
                throw error("\(name)() takes \(expected) argument(s), not \(arguments.count)", offset: offset)
            }
            return .call(function, arguments)
        default:
            throw error("expected a value, found \(describe(token))", offset: offset)
        }
    }

    mutating func expect(_ symbol: String) throws {
        guard tokens[position].token == .symbol(symbol) else {
            throw error("expected '\(symbol)', found \(describe(tokens[position].token))", offset: tokens[position].offset)
        }
        position += 1
    }
}
