/// A `;name[=value]` parameter of a URI, a header value (Via, From, To, Contact...).
///
/// In URIs, names and values are percent-unescaped (RFC 3261 §19.1.4 compares them
/// unescaped) and re-escaped on output. In header values they are kept as written;
/// a quoted-string value keeps its quotes so that it serialises back unchanged.
public struct SIPParameter: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// `name` or `name=value`, as in a header value.
    public var description: String {
        if let value { return "\(name)=\(value)" }
        return name
    }
}

extension Array where Element == SIPParameter {
    /// The first parameter of that name (parameter names are case-insensitive).
    public func first(named name: String) -> SIPParameter? {
        let count = name.utf8.count
        return first { $0.name.utf8.count == count && $0.name.utf8.elementsEqualIgnoringASCIICase(name.utf8) }
    }
}
