import Foundation

/// A JSON (or YAML-as-JSON) value, Sendable, for the validator: request bodies and the
/// OpenAPI document's schemas are both held as this.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    /// From what Yams returns for a document; nil for anything else.
    public init?(any value: Any?) {
        switch value {
        case nil, is NSNull: self = .null
        case let bool as Bool: self = .bool(bool)
        case let int as Int: self = .integer(Int64(int))
        case let int as Int64: self = .integer(int)
        case let double as Double:
            self = double.rounded() == double && abs(double) < 9e15 ? .integer(Int64(double)) : .number(double)
        case let string as String: self = .string(string)
        case let array as [Any]:
            var items: [JSONValue] = []
            for item in array {
                guard let value = JSONValue(any: item) else { return nil }
                items.append(value)
            }
            self = .array(items)
        case let object as [String: Any]:
            var members: [String: JSONValue] = [:]
            for (key, item) in object {
                guard let value = JSONValue(any: item) else { return nil }
                members[key] = value
            }
            self = .object(members)
        case let object as [AnyHashable: Any]:
            var members: [String: JSONValue] = [:]
            for (key, item) in object {
                guard let key = key.base as? String, let value = JSONValue(any: item) else { return nil }
                members[key] = value
            }
            self = .object(members)
        default:
            return nil
        }
    }

    /// Parses a request body; nil when it is not JSON.
    public static func parse(_ data: Data) -> JSONValue? {
        try? JSONDecoder().decode(JSONValue.self, from: data)
    }

    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    public var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    public var integer: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    public var array: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    /// The JSON Schema type names this value is an instance of.
    var typeNames: Set<String> {
        switch self {
        case .null: return ["null"]
        case .bool: return ["boolean"]
        case .integer: return ["integer", "number"]
        case .number: return ["number"]
        case .string: return ["string"]
        case .array: return ["array"]
        case .object: return ["object"]
        }
    }
}

extension JSONValue: Decodable {
    /// Booleans stay booleans and 1.5 is not an integer: the decoder refuses a type
    /// mismatch, so each kind is tried in turn.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int64.self) {
            self = .integer(int)
        } else if let double = try? container.decode(Double.self) {
            self = .number(double)
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
