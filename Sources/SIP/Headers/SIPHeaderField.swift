/// One header field as it appeared (name as written, value unfolded and trimmed).
public struct SIPHeaderField: Hashable, Sendable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}
