/// The header fields of a SIP message, in order (RFC 3261 §7.3).
///
/// Names are matched case-insensitively and compact forms (`v`, `f`, `i`...) are the
/// same header as their long names. Order is kept because it matters for Via, Route
/// and Record-Route.
public struct SIPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public private(set) var fields: [SIPHeaderField]

    public init() { fields = [] }

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { SIPHeaderField(name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    init(fields: [SIPHeaderField]) { self.fields = fields }

    public func makeIterator() -> IndexingIterator<[SIPHeaderField]> { fields.makeIterator() }

    public var count: Int { fields.count }

    /// The first value of that header (the whole field value, not split), or nil.
    public subscript(_ name: String) -> String? { self[SIPHeaderKey(name)] }

    subscript(_ key: SIPHeaderKey) -> String? {
        for field in fields where key.matches(field) { return field.value }
        return nil
    }

    /// All values of all fields of that name. For list headers (Via, Contact, Route,
    /// Record-Route, Allow, Supported, Require, Accept...) comma-separated values are
    /// split, respecting quotes and `<...>`, and empty elements dropped; other headers
    /// (WWW-Authenticate, Authorization, Date...) give one value per field.
    public func values(_ name: String) -> [String] { values(SIPHeaderKey(name)) }

    func values(_ key: SIPHeaderKey) -> [String] {
        var result = [String]()
        let split = key.isList
        for field in fields where key.matches(field) {
            if split {
                for element in SIPSyntax.splitList(field.value) where !element.isEmpty { result.append(element) }
            } else {
                result.append(field.value)
            }
        }
        return result
    }

    /// How many fields of that name there are (not list elements).
    public func fieldCount(_ name: String) -> Int { fieldCount(SIPHeaderKey(name)) }

    func fieldCount(_ key: SIPHeaderKey) -> Int {
        fields.reduce(0) { $0 + (key.matches($1) ? 1 : 0) }
    }

    public mutating func add(_ name: String, _ value: String) {
        fields.append(SIPHeaderField(name: name, value: value))
    }

    /// Replaces all fields of that name by one; the new field takes the place of the
    /// first old one (or goes last).
    public mutating func set(_ name: String, _ value: String) {
        let key = SIPHeaderKey(name)
        if let first = fields.firstIndex(where: { key.matches($0) }) {
            fields[first] = SIPHeaderField(name: name, value: value)
            var i = fields.count - 1
            while i > first {
                if key.matches(fields[i]) { fields.remove(at: i) }
                i -= 1
            }
        } else {
            add(name, value)
        }
    }

    public mutating func remove(_ name: String) {
        let key = SIPHeaderKey(name)
        fields.removeAll { key.matches($0) }
    }

    public func contains(_ name: String) -> Bool { contains(SIPHeaderKey(name)) }

    func contains(_ key: SIPHeaderKey) -> Bool { fields.contains { key.matches($0) } }

    /// Inserts a field before all others (a proxy or UAC adding its Via).
    public mutating func prepend(_ name: String, _ value: String) {
        fields.insert(SIPHeaderField(name: name, value: value), at: 0)
    }

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\r\n")
    }
}
