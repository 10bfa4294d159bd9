/// The header fields of a SIP message, in order (RFC 3261 §7.3).
///
/// Names are matched case-insensitively and compact forms (`v`, `f`, `i`...) are the
/// same header as their long names. Order is kept because it matters for Via, Route
/// and Record-Route.
///
/// A parsed message's headers stay an index into its bytes (`SIPHeaderIndex`) until
/// they are changed: lookups make a String only for the value asked for. The first
/// change turns them into a plain field list.
public struct SIPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    private enum Storage: Sendable {
        case fields([SIPHeaderField])
        case indexed(SIPHeaderIndex)
    }

    private var storage: Storage

    /// The fields as name/value pairs (made from the message bytes for a parsed message).
    public var fields: [SIPHeaderField] {
        switch storage {
        case .fields(let f): f
        case .indexed(let index): index.fields
        }
    }

    public init() { storage = .fields([]) }

    public init(_ fields: [(String, String)]) {
        storage = .fields(fields.map { SIPHeaderField(name: $0.0, value: $0.1) })
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    init(fields: [SIPHeaderField]) { storage = .fields(fields) }

    init(index: SIPHeaderIndex) { storage = .indexed(index) }

    public func makeIterator() -> IndexingIterator<[SIPHeaderField]> { fields.makeIterator() }

    public var count: Int {
        switch storage {
        case .fields(let f): f.count
        case .indexed(let index): index.count
        }
    }

    public static func == (lhs: SIPHeaders, rhs: SIPHeaders) -> Bool {
        guard lhs.count == rhs.count else { return false }
        return lhs.fields == rhs.fields
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(fields) }

    /// The first value of that header (the whole field value, not split), or nil.
    public subscript(_ name: String) -> String? { self[SIPHeaderKey(name)] }

    subscript(_ key: SIPHeaderKey) -> String? {
        switch storage {
        case .fields(let f):
            for field in f where key.matches(field) { return field.value }
        case .indexed(let index):
            for i in 0..<index.count where index.matches(i, key) { return index.value(i) }
        }
        return nil
    }

    /// The value of each field of that name, not split at commas.
    func fieldValues(_ key: SIPHeaderKey) -> [String] {
        var result = [String]()
        switch storage {
        case .fields(let f):
            for field in f where key.matches(field) { result.append(field.value) }
        case .indexed(let index):
            for i in 0..<index.count where index.matches(i, key) { result.append(index.value(i)) }
        }
        return result
    }

    /// `values(key).first` without splitting the fields after the one it is in.
    func firstValue(_ key: SIPHeaderKey) -> String? {
        guard key.isList else { return self[key] }
        for value in fieldValues(key) {
            for element in SIPSyntax.splitList(value) where !element.isEmpty { return element }
        }
        return nil
    }

    /// All values of all fields of that name. For list headers (Via, Contact, Route,
    /// Record-Route, Allow, Supported, Require, Accept...) comma-separated values are
    /// split, respecting quotes and `<...>`, and empty elements dropped; other headers
    /// (WWW-Authenticate, Authorization, Date...) give one value per field.
    public func values(_ name: String) -> [String] { values(SIPHeaderKey(name)) }

    func values(_ key: SIPHeaderKey) -> [String] {
        let whole = fieldValues(key)
        guard key.isList else { return whole }
        var result = [String]()
        for value in whole {
            for element in SIPSyntax.splitList(value) where !element.isEmpty { result.append(element) }
        }
        return result
    }

    /// How many fields of that name there are (not list elements).
    public func fieldCount(_ name: String) -> Int { fieldCount(SIPHeaderKey(name)) }

    func fieldCount(_ key: SIPHeaderKey) -> Int {
        switch storage {
        case .fields(let f): f.reduce(0) { $0 + (key.matches($1) ? 1 : 0) }
        case .indexed(let index): (0..<index.count).reduce(0) { $0 + (index.matches($1, key) ? 1 : 0) }
        }
    }

    /// The field list, for changing it (an indexed parse becomes a plain list once).
    private mutating func withFields<R>(_ body: (inout [SIPHeaderField]) -> R) -> R {
        var f: [SIPHeaderField]
        switch storage {
        case .fields(let existing): f = existing
        case .indexed(let index): f = index.fields
        }
        storage = .fields([])  // drop the reference so `f` is uniquely owned
        defer { storage = .fields(f) }
        return body(&f)
    }

    public mutating func add(_ name: String, _ value: String) {
        withFields { $0.append(SIPHeaderField(name: name, value: value)) }
    }

    /// Replaces all fields of that name by one; the new field takes the place of the
    /// first old one (or goes last).
    public mutating func set(_ name: String, _ value: String) {
        let key = SIPHeaderKey(name)
        withFields { fields in
            if let first = fields.firstIndex(where: { key.matches($0) }) {
                fields[first] = SIPHeaderField(name: name, value: value)
                var i = fields.count - 1
                while i > first {
                    if key.matches(fields[i]) { fields.remove(at: i) }
                    i -= 1
                }
            } else {
                fields.append(SIPHeaderField(name: name, value: value))
            }
        }
    }

    public mutating func remove(_ name: String) {
        let key = SIPHeaderKey(name)
        guard contains(key) else { return }
        withFields { $0.removeAll { key.matches($0) } }
    }

    public func contains(_ name: String) -> Bool { contains(SIPHeaderKey(name)) }

    func contains(_ key: SIPHeaderKey) -> Bool {
        switch storage {
        case .fields(let f): f.contains { key.matches($0) }
        case .indexed(let index): (0..<index.count).contains { index.matches($0, key) }
        }
    }

    /// Inserts a field before all others (a proxy or UAC adding its Via).
    public mutating func prepend(_ name: String, _ value: String) {
        withFields { $0.insert(SIPHeaderField(name: name, value: value), at: 0) }
    }

    /// `name: value CRLF` for each field but those matching `key` (the wire form).
    func appendWire(to out: inout [UInt8], except key: SIPHeaderKey) {
        switch storage {
        case .fields(let f):
            for field in f where !key.matches(field) {
                out.append(contentsOf: field.name.utf8)
                out.append(SIPSyntax.colon); out.append(SIPSyntax.sp)
                out.append(contentsOf: field.value.utf8)
                out.append(SIPSyntax.cr); out.append(SIPSyntax.lf)
            }
        case .indexed(let index):
            index.appendWire(to: &out, except: key)
        }
    }

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\r\n")
    }
}
