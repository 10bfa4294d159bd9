import Foundation

/// A value a script can hold in a variable: the caller's number, collected digits, an
/// account record, a balance. Numbers are exact (`Decimal`), never floating point,
/// because balances and rates pass through here.
public enum IVRValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case number(Decimal)
    case string(String)
    case list([IVRValue])
    case record([String: IVRValue])

    public static func integer(_ value: Int) -> IVRValue { .number(Decimal(value)) }

    /// The text a value has when it is interpolated into a string or said as digits.
    public var text: String {
        switch self {
        case .null: return ""
        case .bool(let value): return value ? "true" : "false"
        case .number(let value): return IVRValue.format(value)
        case .string(let value): return value
        case .list(let values): return values.map(\.text).joined(separator: ",")
        case .record(let fields):
            return "{" + fields.keys.sorted().map { "\($0): \(fields[$0]!.text)" }.joined(separator: ", ") + "}"
        }
    }

    public var description: String {
        switch self {
        case .string(let value): return "\"\(value)\""
        default: return text
        }
    }

    /// The value as an exact number: numbers as they are, strings that spell a decimal
    /// number (digits collected from the caller are strings) converted.
    public var numberValue: Decimal? {
        switch self {
        case .number(let value): return value
        case .string(let value): return IVRValue.parseDecimal(value)
        case .bool, .null, .list, .record: return nil
        }
    }

    /// Truth as `branch` conditions see it: false, null, 0, "" and empty lists are false.
    public var isTruthy: Bool {
        switch self {
        case .null: return false
        case .bool(let value): return value
        case .number(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .list(let values): return !values.isEmpty
        case .record: return true
        }
    }

    /// Looks up a dotted path (`account.balance`) below this value.
    public func value(at path: ArraySlice<String>) -> IVRValue? {
        guard let first = path.first else { return self }
        switch self {
        case .record(let fields):
            return fields[first]?.value(at: path.dropFirst())
        case .list(let values):
            if first == "count" && path.count == 1 { return .integer(values.count) }
            guard let index = Int(first), values.indices.contains(index) else { return nil }
            return values[index].value(at: path.dropFirst())
        default:
            return nil
        }
    }

    /// Parses a plain decimal number (`-12`, `3.50`) exactly; nil for anything else.
    public static func parseDecimal(_ text: String) -> Decimal? {
        var digitsSeen = false
        var dotSeen = false
        for (offset, character) in text.enumerated() {
            if character == "-" || character == "+" {
                if offset != 0 { return nil }
            } else if character == "." {
                if dotSeen { return nil }
                dotSeen = true
            } else if character.isASCII && character.isNumber {
                digitsSeen = true
            } else {
                return nil
            }
        }
        guard digitsSeen else { return nil }
        return Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
    }

    /// Formats a decimal without exponent or locale grouping (`12.5`, `-3`).
    public static func format(_ value: Decimal) -> String {
        var copy = value
        return NSDecimalString(&copy, Locale(identifier: "en_US_POSIX"))
    }
}
