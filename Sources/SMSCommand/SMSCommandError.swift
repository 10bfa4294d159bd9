/// Why a text is not a command: the word that was wrong (as the sender typed it), its
/// position, and what to send instead, short enough for an SMS reply.
public struct SMSCommandError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The offending word as typed; for an empty message, `(empty)`.
    public var token: String
    /// 1-based position of the word in the message; 0 for a problem of the whole message.
    public var position: Int
    public var problem: String

    public init(token: String, position: Int, problem: String) {
        self.token = token
        self.position = position
        self.problem = problem
    }

    public var description: String { "\(token): \(problem)" }
}
