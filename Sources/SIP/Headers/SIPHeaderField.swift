/// One header field as it appeared (name as written, value unfolded and trimmed).
public struct SIPHeaderField: Hashable, Sendable {
    public var name: String {
        didSet { known = SIPKnownHeader(name) }
    }
    public var value: String
    /// Which common header `name` is, recognised once (a function of `name`).
    private(set) var known: SIPKnownHeader

    public init(name: String, value: String) {
        self.name = name
        self.value = value
        self.known = SIPKnownHeader(name)
    }

    /// For the parser, which has recognised the name from its bytes already.
    init(name: String, value: String, known: SIPKnownHeader) {
        self.name = name
        self.value = value
        self.known = known
    }
}
