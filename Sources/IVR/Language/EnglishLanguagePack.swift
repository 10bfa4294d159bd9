import Foundation

/// English: "one thousand two hundred thirty four", "twelve dollars and fifty cents",
/// "one hour five minutes", "november twenty second twenty twenty six".
public struct EnglishLanguagePack: LanguagePack {
    public init() {}

    public var code: String { "en" }
    public var voice: String { "en-us" }

    public func integer(_ value: Int) -> [String] {
        if value < 0 { return ["minus"] + integer(-value) }
        if value == 0 { return ["number-0"] }
        var result: [String] = []
        var rest = value
        for (scale, name) in [(1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand")] where rest >= scale {
            result += belowThousand(rest / scale) + [name]
            rest %= scale
        }
        if rest > 0 { result += belowThousand(rest) }
        return result
    }

    private func belowThousand(_ value: Int) -> [String] {
        var result: [String] = []
        if value >= 100 { result += ["number-\(value / 100)", "hundred"] }
        let rest = value % 100
        if rest == 0 { return result }
        if rest < 20 { return result + ["number-\(rest)"] }
        result.append("number-\(rest / 10 * 10)")
        if rest % 10 > 0 { result.append("number-\(rest % 10)") }
        return result
    }

    private static let currencies: [String: (one: String, many: String, centOne: String, centMany: String)] = [
        "USD": ("dollar", "dollars", "cent", "cents"),
        "EUR": ("euro", "euros", "cent", "cents"),
        "GBP": ("pound", "pounds", "penny", "pence"),
    ]

    public func money(_ amount: Decimal, currency: String) -> [String] {
        let (negative, units, cents) = splitMoney(amount)
        guard let names = EnglishLanguagePack.currencies[currency.uppercased()] else {
            return decimal(amount)
        }
        var result: [String] = negative ? ["minus"] : []
        if units > 0 || cents == 0 { result += integer(units) + [units == 1 ? names.one : names.many] }
        if cents > 0 {
            if units > 0 { result.append("and") }
            result += integer(cents) + [cents == 1 ? names.centOne : names.centMany]
        }
        return result
    }

    public func duration(seconds: Int) -> [String] {
        let total = max(0, seconds)
        let parts = [(total / 3600, "hour", "hours"), (total % 3600 / 60, "minute", "minutes"), (total % 60, "second", "seconds")]
        let spoken = parts.filter { $0.0 > 0 }
        if spoken.isEmpty { return ["number-0", "seconds"] }
        return spoken.flatMap { integer($0.0) + [$0.0 == 1 ? $0.1 : $0.2] }
    }

    static let months = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                         "october", "november", "december"]

    public func date(year: Int, month: Int, day: Int) -> [String] {
        var result = ["month-\(EnglishLanguagePack.months[month - 1])", "ordinal-\(day)"]
        if (2000...2009).contains(year) || year % 100 == 0 || year < 1000 {
            result += integer(year)
        } else {
            result += integer(year / 100)
            result += year % 100 < 10 ? ["oh", "number-\(year % 100)"] : integer(year % 100)
        }
        return result
    }

    static let ones = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                       "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
    static let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
    static let ordinals = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                           "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                           "eighteenth", "nineteenth", "twentieth", "twenty first", "twenty second", "twenty third",
                           "twenty fourth", "twenty fifth", "twenty sixth", "twenty seventh", "twenty eighth",
                           "twenty ninth", "thirtieth", "thirty first"]

    public var phrases: [String: String] {
        var result: [String: String] = [:]
        for (value, word) in EnglishLanguagePack.ones.enumerated() { result["number-\(value)"] = word }
        for value in stride(from: 20, through: 90, by: 10) { result["number-\(value)"] = EnglishLanguagePack.tens[value / 10] }
        for (index, word) in EnglishLanguagePack.ordinals.enumerated() { result["ordinal-\(index + 1)"] = word }
        for month in EnglishLanguagePack.months { result["month-\(month)"] = month }
        for word in ["hundred", "thousand", "million", "billion", "minus", "point", "star", "plus", "and", "oh",
                     "dollar", "dollars", "euro", "euros", "pound", "pounds", "cent", "cents", "penny", "pence",
                     "hour", "hours", "minute", "minutes", "second", "seconds"] {
            result[word] = word
        }
        result["hash"] = "pound"
        return result
    }
}
