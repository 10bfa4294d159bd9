import Foundation

/// A small, safe expression for `branch` conditions and computed `set` values: literals,
/// variables, comparison, arithmetic, `and`/`or`/`not` and the functions of
/// `ExpressionFunction`. Nothing is evaluated as code; evaluation cannot fail (a type
/// mismatch yields null or false) and always terminates.
///
///     $account.balance >= 1 and starts_with($destination, "00")
///     not is_set($pin) or len($pin) < 4
public indirect enum Expression: Sendable, Equatable, CustomStringConvertible {
    case literal(IVRValue)
    case variable(VariablePath)
    case not(Expression)
    case negate(Expression)
    case binary(BinaryOperator, Expression, Expression)
    case call(ExpressionFunction, [Expression])

    public enum BinaryOperator: String, Sendable, Equatable, CaseIterable {
        case or, and
        case equal = "==", notEqual = "!=", less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">="
        case plus = "+", minus = "-", times = "*", divide = "/"

        var precedence: Int {
            switch self {
            case .or: return 1
            case .and: return 2
            case .equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual: return 3
            case .plus, .minus: return 4
            case .times, .divide: return 5
            }
        }
    }

    /// Parses an expression; errors name the column within the script.
    public static func parse(_ text: String, at location: SourceLocation) throws -> Expression {
        var parser = ExpressionParser(text: text, location: location)
        return try parser.parseAll()
    }

    /// Every variable the expression reads.
    public var variables: [VariablePath] {
        switch self {
        case .literal: return []
        case .variable(let path): return [path]
        case .not(let inner), .negate(let inner): return inner.variables
        case let .binary(_, left, right): return left.variables + right.variables
        case let .call(_, arguments): return arguments.flatMap(\.variables)
        }
    }

    public func evaluate(in context: CallContext) -> IVRValue {
        switch self {
        case .literal(let value):
            return value
        case .variable(let path):
            return context.value(at: path) ?? .null
        case .not(let inner):
            return .bool(!inner.evaluate(in: context).isTruthy)
        case .negate(let inner):
            guard let number = inner.evaluate(in: context).numberValue else { return .null }
            return .number(-number)
        case let .binary(op, left, right):
            switch op {
            case .and:
                let first = left.evaluate(in: context)
                return first.isTruthy ? .bool(right.evaluate(in: context).isTruthy) : .bool(false)
            case .or:
                let first = left.evaluate(in: context)
                return first.isTruthy ? .bool(true) : .bool(right.evaluate(in: context).isTruthy)
            default:
                return Expression.apply(op, left.evaluate(in: context), right.evaluate(in: context))
            }
        case let .call(function, arguments):
            return function.apply(arguments.map { $0.evaluate(in: context) })
        }
    }

    static func apply(_ op: BinaryOperator, _ left: IVRValue, _ right: IVRValue) -> IVRValue {
        switch op {
        case .equal: return .bool(equal(left, right))
        case .notEqual: return .bool(!equal(left, right))
        case .less, .lessOrEqual, .greater, .greaterOrEqual:
            guard let order = compare(left, right) else { return .bool(false) }
            switch op {
            case .less: return .bool(order == .orderedAscending)
            case .lessOrEqual: return .bool(order != .orderedDescending)
            case .greater: return .bool(order == .orderedDescending)
            default: return .bool(order != .orderedAscending)
            }
        case .plus:
            if case .string = left, !isNumber(right) || !isNumber(left) { return .string(left.text + right.text) }
            if case .string = right, !isNumber(left) || !isNumber(right) { return .string(left.text + right.text) }
            guard let a = left.numberValue, let b = right.numberValue else { return .null }
            return .number(a + b)
        case .minus, .times, .divide:
            guard let a = left.numberValue, let b = right.numberValue else { return .null }
            switch op {
            case .minus: return .number(a - b)
            case .times: return .number(a * b)
            default: return b == 0 ? .null : .number(a / b)
            }
        case .and, .or:
            return .null
        }
    }

    static func isNumber(_ value: IVRValue) -> Bool { value.numberValue != nil }

    /// Strings compare as strings ("0049" is not "49"); otherwise numbers compare by value.
    static func equal(_ left: IVRValue, _ right: IVRValue) -> Bool {
        switch (left, right) {
        case (.string(let a), .string(let b)): return a == b
        case (.null, .null): return true
        case (.null, _), (_, .null): return false
        default:
            if let a = left.numberValue, let b = right.numberValue { return a == b }
            return left == right
        }
    }

    static func compare(_ left: IVRValue, _ right: IVRValue) -> ComparisonResult? {
        if let a = left.numberValue, let b = right.numberValue {
            return a < b ? .orderedAscending : (a > b ? .orderedDescending : .orderedSame)
        }
        if case .string(let a) = left, case .string(let b) = right {
            return a < b ? .orderedAscending : (a > b ? .orderedDescending : .orderedSame)
        }
        return nil
    }

    public var description: String {
        switch self {
        case .literal(.string(let text)): return "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\""
        case .literal(let value): return value.text.isEmpty ? "null" : value.text
        case .variable(let path): return path.description
        case .not(let inner): return "not \(inner)"
        case .negate(let inner): return "-\(inner)"
        case let .binary(op, left, right): return "(\(left) \(op.rawValue) \(right))"
        case let .call(function, arguments): return "\(function.rawValue)(\(arguments.map(\.description).joined(separator: ", ")))"
        }
    }
}
