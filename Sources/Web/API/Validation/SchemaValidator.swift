import Foundation

/// Checks a value against a JSON Schema of the OpenAPI document (3.1: JSON Schema 2020-12),
/// for the keywords the document uses: `$ref` (local), `type` (one or a list), `enum`,
/// `required`, `properties`, `additionalProperties: false`, `items`, `minItems`/`maxItems`,
/// `minLength`/`maxLength`, `pattern`, `minimum`/`maximum`, `oneOf`. A keyword it does not
/// know is a failure of the document, not a pass: `SchemaValidatorTests` walks the whole
/// document and fails on one.
public struct SchemaValidator: Sendable {
    /// The first thing wrong: where (a JSON pointer into the body) and what.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var pointer: String
        public var message: String
        /// A required member is absent (rather than a value present and wrong).
        public var isMissing = false

        public init(pointer: String, message: String, isMissing: Bool = false) {
            self.pointer = pointer
            self.message = message
            self.isMissing = isMissing
        }

        /// Among `oneOf` alternatives, the failure that says most about what was sent: a
        /// value present and wrong beats an absent member, and a deeper one a shallower.
        var rank: Int { isMissing ? 0 : 1 + pointer.split(separator: "/").count }

        public var description: String { "\(pointer.isEmpty ? "the body" : pointer): \(message)" }
    }

    /// The keywords understood; annotations (`description`, `default`, `format`) are ignored.
    public static let keywords: Set<String> = [
        "$ref", "type", "enum", "required", "properties", "additionalProperties", "items", "minItems", "maxItems",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "oneOf", "description", "default", "format",
    ]

    let document: JSONValue

    public init(document: JSONValue) {
        self.document = document
    }

    public func validate(_ value: JSONValue, against schema: JSONValue) throws(Failure) {
        try check(value, schema, at: "")
    }

    private func resolve(_ schema: JSONValue) -> JSONValue {
        guard let ref = schema["$ref"]?.string, ref.hasPrefix("#/") else { return schema }
        var node = document
        for part in ref.dropFirst(2).split(separator: "/") {
            node = node[String(part)] ?? .null
        }
        return resolve(node)
    }

    private func check(_ value: JSONValue, _ raw: JSONValue, at pointer: String) throws(Failure) {
        let schema = resolve(raw)
        if let alternatives = schema["oneOf"]?.array {
            var matched = 0
            var best: Failure?
            for alternative in alternatives {
                do {
                    try check(value, alternative, at: pointer)
                    matched += 1
                } catch {
                    if error.rank > (best?.rank ?? -1) { best = error }
                }
            }
            if matched == 0 { throw best ?? Failure(pointer: pointer, message: "matches no alternative") }
            if matched > 1 { throw Failure(pointer: pointer, message: "matches more than one alternative") }
        }
        if let type = schema["type"] {
            let allowed: [String] = type.string.map { [$0] } ?? (type.array ?? []).compactMap(\.string)
            guard !value.typeNames.isDisjoint(with: allowed) else {
                throw Failure(pointer: pointer, message: "expected \(allowed.joined(separator: " or ")), got \(Self.kind(value))")
            }
        }
        if let options = schema["enum"]?.array, !options.contains(value) {
            let names = options.map { $0.string ?? "\($0)" }
            throw Failure(pointer: pointer, message: "expected one of \(names.joined(separator: ", "))")
        }
        switch value {
        case .object(let members):
            for name in (schema["required"]?.array ?? []).compactMap(\.string) where members[name] == nil {
                throw Failure(pointer: pointer + "/" + Self.escape(name), message: "is required", isMissing: true)
            }
            let properties: [String: JSONValue]
            if case .object(let declared) = schema["properties"] ?? .object([:]) { properties = declared } else { properties = [:] }
            for name in members.keys.sorted() {
                let path = pointer + "/" + Self.escape(name)
                if let property = properties[name] {
                    try check(members[name]!, property, at: path)
                } else if schema["additionalProperties"] == .bool(false) {
                    throw Failure(pointer: path, message: "is not a known property")
                }
            }
        case .array(let items):
            if let minimum = schema["minItems"]?.integer, items.count < minimum {
                throw Failure(pointer: pointer, message: "needs at least \(minimum) item\(minimum == 1 ? "" : "s")")
            }
            if let maximum = schema["maxItems"]?.integer, items.count > maximum {
                throw Failure(pointer: pointer, message: "takes at most \(maximum) items")
            }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { try check(item, itemSchema, at: "\(pointer)/\(index)") }
            }
        case .string(let text):
            let length = text.count
            if let minimum = schema["minLength"]?.integer, length < minimum {
                throw Failure(pointer: pointer, message: "needs at least \(minimum) character\(minimum == 1 ? "" : "s")")
            }
            if let maximum = schema["maxLength"]?.integer, length > maximum {
                throw Failure(pointer: pointer, message: "takes at most \(maximum) characters")
            }
            if let pattern = schema["pattern"]?.string, !Self.matches(text, pattern) {
                throw Failure(pointer: pointer, message: "does not match \(pattern)")
            }
        case .integer(let number):
            try checkRange(Double(number), schema, at: pointer)
        case .number(let number):
            try checkRange(number, schema, at: pointer)
        case .null, .bool:
            break
        }
    }

    private func checkRange(_ number: Double, _ schema: JSONValue, at pointer: String) throws(Failure) {
        if let minimum = schema["minimum"].flatMap(Self.double), number < minimum {
            throw Failure(pointer: pointer, message: "must be at least \(Self.format(minimum))")
        }
        if let maximum = schema["maximum"].flatMap(Self.double), number > maximum {
            throw Failure(pointer: pointer, message: "must be at most \(Self.format(maximum))")
        }
    }

    static func double(_ value: JSONValue) -> Double? {
        switch value {
        case .integer(let int): return Double(int)
        case .number(let double): return double
        default: return nil
        }
    }

    static func format(_ number: Double) -> String {
        number.rounded() == number ? String(Int64(number)) : String(number)
    }

    /// ECMA-262 patterns as the document writes them (anchored ones, plain classes):
    /// Foundation's regular expressions read them the same.
    static func matches(_ text: String, _ pattern: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// RFC 6901: `~` and `/` in a member name.
    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    static func kind(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "a boolean"
        case .integer, .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
