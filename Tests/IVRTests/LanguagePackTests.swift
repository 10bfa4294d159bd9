import XCTest
@testable import IVR

final class LanguagePackTests: XCTestCase {
    let en = EnglishLanguagePack()
    let de = GermanLanguagePack()

    func testEnglishNumbers() {
        XCTAssertEqual(en.integer(0), ["number-0"])
        XCTAssertEqual(en.integer(13), ["number-13"])
        XCTAssertEqual(en.integer(40), ["number-40"])
        XCTAssertEqual(en.integer(105), ["number-1", "hundred", "number-5"])
        XCTAssertEqual(en.integer(2_000_021), ["number-2", "million", "number-20", "number-1"])
        XCTAssertEqual(en.integer(-7), ["minus", "number-7"])
    }

    func testGermanNumbersPutUnitsBeforeTens() {
        XCTAssertEqual(de.integer(1), ["number-1"])                       // eins
        XCTAssertEqual(de.integer(21), ["ein", "und", "number-20"])       // einundzwanzig
        XCTAssertEqual(de.integer(101), ["ein", "hundert", "number-1"])   // einhunderteins
        XCTAssertEqual(de.integer(1000), ["ein", "tausend"])
        XCTAssertEqual(de.integer(1_000_000), ["eine", "million"])
        XCTAssertEqual(de.integer(3_000_000), ["number-3", "millionen"])
        XCTAssertEqual(de.integer(1999), ["ein", "tausend", "number-9", "hundert", "number-9", "und", "number-90"])
    }

    func testMoney() {
        XCTAssertEqual(en.money(Decimal(string: "0.05")!, currency: "USD"), ["number-5", "cents"])
        XCTAssertEqual(en.money(Decimal(1), currency: "GBP"), ["number-1", "pound"])
        XCTAssertEqual(en.money(Decimal(string: "-3.999")!, currency: "EUR"), ["minus", "number-4", "euros"])
        XCTAssertEqual(en.money(Decimal(string: "2.5")!, currency: "XYZ"), ["number-2", "point", "number-5"])
        XCTAssertEqual(de.money(Decimal(string: "12.50")!, currency: "EUR"), ["number-12", "euro", "number-50"])
        XCTAssertEqual(de.money(Decimal(string: "1.00")!, currency: "EUR"), ["ein", "euro"])
        XCTAssertEqual(de.money(Decimal(string: "0.99")!, currency: "EUR"), ["number-9", "und", "number-90", "cent"])
    }

    func testDurations() {
        XCTAssertEqual(en.duration(seconds: 0), ["number-0", "seconds"])
        XCTAssertEqual(en.duration(seconds: 61), ["number-1", "minute", "number-1", "second"])
        XCTAssertEqual(de.duration(seconds: 3660), ["eine", "stunde", "und", "eine", "minute"])
        XCTAssertEqual(de.duration(seconds: 125), ["number-2", "minuten", "und", "number-5", "sekunden"])
    }

    func testDates() {
        XCTAssertEqual(en.date(year: 2005, month: 3, day: 1), ["month-march", "ordinal-1", "number-2", "thousand", "number-5"])
        XCTAssertEqual(en.date(year: 1907, month: 12, day: 31), ["month-december", "ordinal-31", "number-19", "oh", "number-7"])
        XCTAssertEqual(de.date(year: 1984, month: 5, day: 2), ["ordinal-2", "month-mai", "number-19", "hundert", "number-4", "und", "number-80"])
    }

    func testEveryProducedPromptHasAPhrase() {
        for pack in LanguagePacks.all {
            let phrases = pack.phrases
            var produced: [String] = pack.digits("0123456789*#+")
            for value in [0, 1, 7, 11, 19, 20, 21, 99, 100, 101, 999, 1000, 1001, 12_345, 1_000_000, 2_500_000, 1_000_000_000, -5] {
                produced += pack.integer(value)
            }
            for currency in ["USD", "EUR", "GBP", "CHF", "XXX"] {
                produced += pack.money(Decimal(string: "1.01")!, currency: currency) + pack.money(Decimal(string: "22.5")!, currency: currency)
            }
            produced += pack.duration(seconds: 3661) + pack.duration(seconds: 7322) + pack.decimal(Decimal(string: "-0.5")!)
            for month in 1...12 { produced += pack.date(year: 2026, month: month, day: month + 19) }
            produced += pack.date(year: 1999, month: 1, day: 1)
            for name in Set(produced) {
                XCTAssertNotNil(phrases[name], "\(pack.code): '\(name)' has no phrase")
            }
        }
    }
}
