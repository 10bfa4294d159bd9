import Foundation

/// `collect`: plays a prompt, then gathers digits into a variable.
///
/// Input ends at the terminator, or when a timer expires: the first-digit timer (`timeout`)
/// before any digit, the inter-digit timer after one. Without a terminator it also ends at
/// `max` digits; with one the caller finishes with it (more than `max` digits is `invalid`). The digits are
/// `ok` when their count is within `min...max` and they match `pattern`; an expiry with no
/// digit is `timeout`; anything else is `invalid`. Each `timeout`/`invalid` uses up an
/// attempt: while attempts remain the `no-input-prompt`/`invalid-prompt` plays and the
/// outcome's node runs (by default this node again); when they are used up the outcome is
/// `exhausted`. The attempt count of a node is kept until it succeeds or is exhausted, so a
/// detour through another node ("sorry") and back still counts.
public struct CollectVerb: Sendable {
    public var prompts: [Located<String>]
    public var minDigits: Int
    public var maxDigits: Int
    public var terminator: Character?
    public var firstDigitTimeoutMilliseconds: Int
    public var interDigitTimeoutMilliseconds: Int
    /// A regular expression the whole input must match (ICU syntax), e.g. `[1-9][0-9]*`.
    public var pattern: Located<String>?
    public var attempts: Int
    public var invalidPrompts: [Located<String>]
    public var noInputPrompts: [Located<String>]
    /// The variable that receives the digits (without terminator) on `ok`.
    public var variable: Located<String>
    /// Whether a digit interrupts the prompt (default true: callers who know the menu type ahead).
    public var bargeIn: Bool

    public static let defaultFirstDigitTimeoutMilliseconds = 5000
    public static let defaultInterDigitTimeoutMilliseconds = 3000
    public static let defaultAttempts = 3
    public static let outcomes = ["ok", "timeout", "invalid", "exhausted"]

    public init(prompts: [Located<String>], minDigits: Int, maxDigits: Int, terminator: Character?,
                firstDigitTimeoutMilliseconds: Int = CollectVerb.defaultFirstDigitTimeoutMilliseconds,
                interDigitTimeoutMilliseconds: Int = CollectVerb.defaultInterDigitTimeoutMilliseconds,
                pattern: Located<String>? = nil, attempts: Int = CollectVerb.defaultAttempts,
                invalidPrompts: [Located<String>] = [], noInputPrompts: [Located<String>] = [],
                variable: Located<String>, bargeIn: Bool = true) {
        self.prompts = prompts
        self.minDigits = minDigits
        self.maxDigits = maxDigits
        self.terminator = terminator
        self.firstDigitTimeoutMilliseconds = firstDigitTimeoutMilliseconds
        self.interDigitTimeoutMilliseconds = interDigitTimeoutMilliseconds
        self.pattern = pattern
        self.attempts = attempts
        self.invalidPrompts = invalidPrompts
        self.noInputPrompts = noInputPrompts
        self.variable = variable
        self.bargeIn = bargeIn
    }

    /// Whether `digits` are an acceptable answer.
    public func accepts(_ digits: String) -> Bool {
        guard (minDigits...maxDigits).contains(digits.count) else { return false }
        guard let pattern else { return true }
        return CollectVerb.matches(digits, pattern: pattern.value)
    }

    /// Whole-string match of an ICU regular expression; a pattern that does not compile
    /// (the loader rejects those) matches nothing.
    static func matches(_ text: String, pattern: String) -> Bool {
        guard let expression = try? NSRegularExpression(pattern: "^(?:" + pattern + ")$") else { return false }
        let range = NSRange(text.startIndex..., in: text)
        return expression.firstMatch(in: text, range: range) != nil
    }
}
