import Foundation

/// German: units before tens ("einundzwanzig" = ein, und, zwanzig), "eins" alone but "ein"
/// in compounds, "eine Million" / "zwei Millionen", no plural for currency names ("zwölf
/// Euro fünfzig"), years as "neunzehnhundert..." before 2000.
public struct GermanLanguagePack: LanguagePack {
    public init() {}

    public var code: String { "de" }
    public var voice: String { "de" }

    public func integer(_ value: Int) -> [String] {
        if value < 0 { return ["minus"] + integer(-value) }
        if value == 0 { return ["number-0"] }
        var result: [String] = []
        var rest = value
        for (scale, one, many) in [(1_000_000_000, "milliarde", "milliarden"), (1_000_000, "million", "millionen")] where rest >= scale {
            let count = rest / scale
            result += (count == 1 ? ["eine"] : belowThousand(count, final: false)) + [count == 1 ? one : many]
            rest %= scale
        }
        if rest >= 1000 {
            result += belowThousand(rest / 1000, final: false) + ["tausend"]
            rest %= 1000
        }
        if rest > 0 { result += belowThousand(rest, final: true) }
        return result
    }

    /// `final`: the number ends here, so a lone 1 is "eins"; before a scale word it is "ein".
    private func belowThousand(_ value: Int, final: Bool) -> [String] {
        var result: [String] = []
        if value >= 100 { result += (value / 100 == 1 ? ["ein"] : ["number-\(value / 100)"]) + ["hundert"] }
        let rest = value % 100
        if rest == 0 { return result }
        if rest == 1 { return result + [final ? "number-1" : "ein"] }
        if rest < 20 { return result + ["number-\(rest)"] }
        let unit = rest % 10
        if unit > 0 { result += [unit == 1 ? "ein" : "number-\(unit)", "und"] }
        result.append("number-\(rest / 10 * 10)")
        return result
    }

    private static let currencies: [String: (name: String, cent: String)] = [
        "EUR": ("euro", "cent"), "USD": ("dollar", "cent"), "GBP": ("pfund", "penny"), "CHF": ("franken", "rappen"),
    ]

    public func money(_ amount: Decimal, currency: String) -> [String] {
        let (negative, units, cents) = splitMoney(amount)
        guard let names = GermanLanguagePack.currencies[currency.uppercased()] else { return decimal(amount) }
        var result: [String] = negative ? ["minus"] : []
        if units > 0 || cents == 0 { result += (units == 1 ? ["ein"] : integer(units)) + [names.name] }
        if cents > 0 {
            // "zwölf Euro fünfzig": the cents follow without their unit; alone they take it.
            result += integer(cents)
            if units == 0 { result.append(names.cent) }
        }
        return result
    }

    public func duration(seconds: Int) -> [String] {
        let total = max(0, seconds)
        let parts = [(total / 3600, "stunde", "stunden"), (total % 3600 / 60, "minute", "minuten"), (total % 60, "sekunde", "sekunden")]
        let spoken = parts.filter { $0.0 > 0 }
        if spoken.isEmpty { return ["number-0", "sekunden"] }
        var result: [String] = []
        for (index, part) in spoken.enumerated() {
            if index == spoken.count - 1 && index > 0 { result.append("und") }
            result += part.0 == 1 ? ["eine", part.1] : integer(part.0) + [part.2]
        }
        return result
    }

    static let months = ["januar", "februar", "maerz", "april", "mai", "juni", "juli", "august", "september",
                         "oktober", "november", "dezember"]

    public func date(year: Int, month: Int, day: Int) -> [String] {
        var result = ["ordinal-\(day)", "month-\(GermanLanguagePack.months[month - 1])"]
        if (1100...1999).contains(year) {
            result += belowThousand(year / 100, final: false) + ["hundert"]
            if year % 100 > 0 { result += belowThousand(year % 100, final: true) }
        } else {
            result += integer(year)
        }
        return result
    }

    static let ones = ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf",
                       "zwölf", "dreizehn", "vierzehn", "fünfzehn", "sechzehn", "siebzehn", "achtzehn", "neunzehn"]
    static let tens = ["", "", "zwanzig", "dreißig", "vierzig", "fünfzig", "sechzig", "siebzig", "achtzig", "neunzig"]
    static let monthNames = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
                             "Oktober", "November", "Dezember"]
    static let ordinalStems = ["ersten", "zweiten", "dritten", "vierten", "fünften", "sechsten", "siebten", "achten",
                               "neunten", "zehnten", "elften", "zwölften", "dreizehnten", "vierzehnten", "fünfzehnten",
                               "sechzehnten", "siebzehnten", "achtzehnten", "neunzehnten", "zwanzigsten",
                               "einundzwanzigsten", "zweiundzwanzigsten", "dreiundzwanzigsten", "vierundzwanzigsten",
                               "fünfundzwanzigsten", "sechsundzwanzigsten", "siebenundzwanzigsten",
                               "achtundzwanzigsten", "neunundzwanzigsten", "dreißigsten", "einunddreißigsten"]

    public var phrases: [String: String] {
        var result: [String: String] = [:]
        for (value, word) in GermanLanguagePack.ones.enumerated() { result["number-\(value)"] = word }
        for value in stride(from: 20, through: 90, by: 10) { result["number-\(value)"] = GermanLanguagePack.tens[value / 10] }
        for (index, word) in GermanLanguagePack.ordinalStems.enumerated() { result["ordinal-\(index + 1)"] = word }
        for (index, month) in GermanLanguagePack.months.enumerated() { result["month-\(month)"] = GermanLanguagePack.monthNames[index] }
        let words: [String: String] = [
            "ein": "ein", "eine": "eine", "und": "und", "hundert": "hundert", "tausend": "tausend",
            "million": "Million", "millionen": "Millionen", "milliarde": "Milliarde", "milliarden": "Milliarden",
            "minus": "minus", "point": "Komma", "star": "Stern", "hash": "Raute", "plus": "plus",
            "euro": "Euro", "dollar": "Dollar", "pfund": "Pfund", "franken": "Franken", "cent": "Cent",
            "penny": "Penny", "rappen": "Rappen", "stunde": "Stunde", "stunden": "Stunden", "minute": "Minute",
            "minuten": "Minuten", "sekunde": "Sekunde", "sekunden": "Sekunden",
        ]
        result.merge(words) { first, _ in first }
        return result
    }
}
