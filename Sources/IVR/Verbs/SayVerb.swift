import Foundation

/// `say`: speaks prompts and values through the language pack: digits one by one, whole
/// numbers, money, durations and dates. Then `next`.
public struct SayVerb: Sendable {
    public var items: [SayItem]
    public var bargeIn: Bool

    public init(items: [SayItem], bargeIn: Bool = false) {
        self.items = items
        self.bargeIn = bargeIn
    }
}

/// One element of a `say` list.
public enum SayItem: Sendable {
    /// A prompt by name (`you-entered`).
    case prompt(Located<String>)
    /// Each character of the value: `{ digits: $pin }`.
    case digits(Template)
    /// A whole number: `{ number: $count }`.
    case number(Template)
    /// An amount of money, the value's currency unit and cents: `{ money: $account.balance }`;
    /// the currency defaults to `$account.currency`.
    case money(Template, currency: Template?)
    /// A number of seconds as hours, minutes and seconds: `{ duration: $max }`.
    case duration(Template)
    /// A date `YYYY-MM-DD`: `{ date: $expiry }`.
    case date(Template)

    public static let valueKinds = ["digits", "number", "money", "duration", "date"]
}
