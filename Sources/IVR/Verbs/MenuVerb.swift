import Foundation

/// `menu`: plays a prompt and waits for one key; each choice key leads to its node.
/// A key that is no choice is `invalid`, silence is `timeout`; retries and `exhausted` work
/// as for `collect`.
public struct MenuVerb: Sendable {
    public var prompts: [Located<String>]
    /// Key → node, in the order written.
    public var choices: [(key: Character, target: Located<String>)]
    public var timeoutMilliseconds: Int
    public var attempts: Int
    public var invalidPrompts: [Located<String>]
    public var noInputPrompts: [Located<String>]

    public static let outcomes = ["timeout", "invalid", "exhausted"]

    public init(prompts: [Located<String>], choices: [(key: Character, target: Located<String>)],
                timeoutMilliseconds: Int = CollectVerb.defaultFirstDigitTimeoutMilliseconds,
                attempts: Int = CollectVerb.defaultAttempts,
                invalidPrompts: [Located<String>] = [], noInputPrompts: [Located<String>] = []) {
        self.prompts = prompts
        self.choices = choices
        self.timeoutMilliseconds = timeoutMilliseconds
        self.attempts = attempts
        self.invalidPrompts = invalidPrompts
        self.noInputPrompts = noInputPrompts
    }

    public func target(for key: Character) -> Located<String>? {
        choices.first { $0.key == key }?.target
    }
}
