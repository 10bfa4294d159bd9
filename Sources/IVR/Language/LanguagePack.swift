import Foundation

/// How one language speaks values: which prompts, in which order, say a number, an amount
/// of money, a duration or a date. Packs return prompt names; the files live in
/// `sounds/<code>/<name>.wav`, and `phrases` is the text each was generated from
/// (`sounds/generate` reads it from `sounds/<code>/prompts.tsv`, which a test keeps equal).
public protocol LanguagePack: Sendable {
    /// `en`, `de`: the directory under `sounds/`.
    var code: String { get }
    /// espeak-ng voice used by `sounds/generate`.
    var voice: String { get }
    /// Prompts for each character of `text`: digits, `*`, `#`, `+`; others are skipped.
    func digits(_ text: String) -> [String]
    /// Prompts for a whole number (negative numbers too), |value| < 10^12.
    func integer(_ value: Int) -> [String]
    /// Prompts for an exact decimal: the whole part, then the decimals one by one.
    func decimal(_ value: Decimal) -> [String]
    /// Prompts for an amount of money in an ISO 4217 currency, to the cent.
    func money(_ amount: Decimal, currency: String) -> [String]
    /// Prompts for a number of seconds in hours, minutes and seconds.
    func duration(seconds: Int) -> [String]
    /// Prompts for a calendar date.
    func date(year: Int, month: Int, day: Int) -> [String]
    /// Every prompt name the pack can produce, with the phrase it stands for.
    var phrases: [String: String] { get }
}

extension LanguagePack {
    public func digits(_ text: String) -> [String] {
        text.compactMap { character -> String? in
            switch character {
            case "0"..."9": return "number-\(character)"
            case "*": return "star"
            case "#": return "hash"
            case "+": return "plus"
            default: return nil
            }
        }
    }

    public func decimal(_ value: Decimal) -> [String] {
        let text = IVRValue.format(value)
        let parts = text.split(separator: ".", maxSplits: 1).map(String.init)
        let whole = Decimal(string: parts[0]).map { NSDecimalNumber(decimal: $0).intValue } ?? 0
        var result = integer(whole)
        if whole == 0 && text.hasPrefix("-") { result = ["minus"] + result }
        if parts.count == 2 { result += ["point"] + digits(parts[1]) }
        return result
    }
}

/// The language packs that ship, by code.
public enum LanguagePacks {
    public static let all: [any LanguagePack] = [EnglishLanguagePack(), GermanLanguagePack()]

    public static func pack(for code: String) -> (any LanguagePack)? {
        all.first { $0.code == code }
    }
}

/// Splits an amount into whole units and hundredths, rounded half up to the cent.
func splitMoney(_ amount: Decimal) -> (negative: Bool, units: Int, cents: Int) {
    var value = amount < 0 ? -amount : amount
    var rounded = Decimal()
    NSDecimalRound(&rounded, &value, 2, .plain)
    let totalCents = NSDecimalNumber(decimal: rounded * 100).intValue
    return (amount < 0 && totalCents > 0, totalCents / 100, totalCents % 100)
}
