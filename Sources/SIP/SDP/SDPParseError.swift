/// Why an SDP body (RFC 4566) could not be read; `line` is 1-based within the body.
public struct SDPParseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "SDP line \(line): \(reason)" }
}
