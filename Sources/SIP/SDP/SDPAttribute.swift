/// `a=<name>[:<value>]` (RFC 4566 §5.13).
public struct SDPAttribute: Hashable, Sendable, CustomStringConvertible {
    public var name: String
    public var value: String?

    public init(name: String, value: String? = nil) {
        self.name = name
        self.value = value
    }

    init(parsing value: Substring) {
        if let colon = value.firstIndex(of: ":") {
            name = String(value[..<colon])
            self.value = String(value[value.index(after: colon)...])
        } else {
            name = String(value)
            self.value = nil
        }
    }

    public var description: String { value.map { "\(name):\($0)" } ?? name }
}
