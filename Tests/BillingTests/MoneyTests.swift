import XCTest
@testable import Billing

final class MoneyTests: XCTestCase {
    func testParsesStrictDecimals() throws {
        let cases: [(String, Int64)] = [
            ("12.3456", 123_456), ("-0.5", -5_000), ("+1", 10_000), ("0", 0),
            ("0.0001", 1), ("7.1", 71_000), ("100", 1_000_000), ("-12.30", -123_000),
        ]
        for (text, minor) in cases {
            XCTAssertEqual(try Money.parse(text, currency: "EUR"), Money(minorUnits: minor, currency: "EUR"), text)
        }
    }

    func testRejectsAnythingElseWithAReason() {
        let cases: [(String, String)] = [
            ("", "empty"), ("1.", "no digits after"), (".5", "no digits before"), ("-", "no digits before"),
            ("1.23456", "more than 4 decimals"), ("1,5", "unexpected character ','"),
            ("1e3", "unexpected character 'e'"), (" 1", "unexpected character ' '"), ("1 ", "unexpected character ' '"),
            ("abc", "unexpected character 'a'"), ("92233720368547758070", "too large"), ("1.2.3", "unexpected character '.'"),
        ]
        for (text, reason) in cases {
            XCTAssertThrowsError(try Money.parse(text, currency: "EUR"), text) { error in
                let description = String(describing: error)
                XCTAssertTrue(description.contains(reason), "\(text): \(description)")
                XCTAssertTrue(description.contains("\"\(text)\""), "names the input: \(description)")
            }
        }
    }

    func testFormatsFourDecimalsAndRoundedDisplay() {
        XCTAssertEqual(Money(minorUnits: 123_456, currency: "EUR").amountString, "12.3456")
        XCTAssertEqual(Money(minorUnits: -5_000, currency: "EUR").amountString, "-0.5000")
        XCTAssertEqual(Money(minorUnits: 1, currency: "EUR").description, "0.0001 EUR")
        XCTAssertEqual(Money(minorUnits: 123_456, currency: "EUR").amountString(decimals: 2), "12.35")
        XCTAssertEqual(Money(minorUnits: 50, currency: "EUR").amountString(decimals: 2), "0.01")
        XCTAssertEqual(Money(minorUnits: 49, currency: "EUR").amountString(decimals: 2), "0.00")
        XCTAssertEqual(Money(minorUnits: -50, currency: "EUR").amountString(decimals: 2), "-0.01")
        XCTAssertEqual(Money(minorUnits: 15_000, currency: "EUR").amountString(decimals: 0), "2")
    }

    func testRoundTripsThroughText() throws {
        for minor: Int64 in [0, 1, -1, 9_999, 10_000, -123_456_789, Int64.max, Int64.min + 1] {
            let money = Money(minorUnits: minor, currency: "USD")
            XCTAssertEqual(try Money.parse(money.amountString, currency: "USD"), money)
        }
    }

    func testScalingRoundsHalfAwayFromZero() throws {
        let cases: [(Int64, Int64, Int64, Int64)] = [
            // minor, ×, ÷, expected
            (6, 5, 60, 1),        // 0.5 → 1
            (6, 4, 60, 0),        // 0.4 → 0
            (125, 7, 60, 15),     // 14.583 → 15
            (12_000, 36, 60, 7_200),
            (-6, 5, 60, -1),      // -0.5 → -1
        ]
        for (minor, numerator, denominator, expected) in cases {
            let scaled = try Money(minorUnits: minor, currency: "EUR").scaled(by: numerator, dividedBy: denominator)
            XCTAssertEqual(scaled.minorUnits, expected, "\(minor)×\(numerator)/\(denominator)")
        }
    }

    func testCheckedArithmeticRefusesMixedCurrenciesAndOverflow() {
        let euro = Money(minorUnits: 1, currency: "EUR")
        let dollar = Money(minorUnits: 1, currency: "USD")
        XCTAssertThrowsError(try euro.adding(dollar)) { XCTAssertEqual($0 as? MoneyError, .currencyMismatch("EUR", "USD")) }
        XCTAssertThrowsError(try Money(minorUnits: .max, currency: "EUR").adding(euro))
        XCTAssertThrowsError(try Money(minorUnits: .max / 2, currency: "EUR").scaled(by: 3, dividedBy: 1))
        XCTAssertEqual(try euro.subtracting(euro), .zero("EUR"))
    }
}
