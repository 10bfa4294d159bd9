import Foundation

/// The functions expressions may call. Each is total: wrong argument types give null.
public enum ExpressionFunction: String, Sendable, Equatable, CaseIterable {
    /// `len(x)`: characters of a string, elements of a list.
    case len
    /// `starts_with(s, prefix)`, `ends_with(s, suffix)`, `contains(s, part)`.
    case startsWith = "starts_with"
    case endsWith = "ends_with"
    case contains
    /// `substr(s, start, count)` with 0-based start.
    case substr
    /// `lower(s)`, `upper(s)`.
    case lower, upper
    /// `number(x)`: the decimal number x spells, or null. `string(x)`: x as text.
    case number, string
    /// `is_set(x)`: x is not null.
    case isSet = "is_set"
    /// `round(x, places)`, `abs(x)`, `min(a, b)`, `max(a, b)`.
    case round, abs, min, max

    public var arity: ClosedRange<Int> {
        switch self {
        case .len, .lower, .upper, .number, .string, .isSet, .abs: return 1...1
        case .startsWith, .endsWith, .contains, .min, .max: return 2...2
        case .round: return 1...2
        case .substr: return 2...3
        }
    }

    func apply(_ arguments: [IVRValue]) -> IVRValue {
        guard arity.contains(arguments.count) else { return .null }
        let first = arguments[0]
        switch self {
        case .len:
            if case .list(let values) = first { return .integer(values.count) }
            if case .null = first { return .integer(0) }
            return .integer(first.text.count)
        case .startsWith: return .bool(first.text.hasPrefix(arguments[1].text))
        case .endsWith: return .bool(first.text.hasSuffix(arguments[1].text))
        case .contains:
            if case .list(let values) = first { return .bool(values.contains { Expression.equal($0, arguments[1]) }) }
            return .bool(first.text.contains(arguments[1].text))
        case .substr:
            let text = Array(first.text)
            guard let start = arguments[1].numberValue.map({ NSDecimalNumber(decimal: $0).intValue }), start >= 0 else { return .null }
            let count = arguments.count == 3 ? (arguments[2].numberValue.map { NSDecimalNumber(decimal: $0).intValue } ?? 0) : text.count
            guard start <= text.count, count >= 0 else { return .string("") }
            return .string(String(text[start..<Swift.min(text.count, start + count)]))
        case .lower: return .string(first.text.lowercased())
        case .upper: return .string(first.text.uppercased())
        case .number: return first.numberValue.map(IVRValue.number) ?? .null
        case .string: return .string(first.text)
        case .isSet:
            if case .null = first { return .bool(false) }
            return .bool(true)
        case .round:
            guard var value = first.numberValue else { return .null }
            let places = arguments.count == 2 ? (arguments[1].numberValue.map { NSDecimalNumber(decimal: $0).intValue } ?? 0) : 0
            var result = Decimal()
            NSDecimalRound(&result, &value, Swift.max(0, Swift.min(places, 10)), .plain)
            return .number(result)
        case .abs:
            guard let value = first.numberValue else { return .null }
            return .number(value < 0 ? -value : value)
        case .min, .max:
            guard let a = first.numberValue, let b = arguments[1].numberValue else { return .null }
            return .number(self == .min ? Swift.min(a, b) : Swift.max(a, b))
        }
    }
}
