import XCTest
@testable import Billing

final class RateDeckTests: XCTestCase {
    func testParsesADeckWithHeaderQuotesAndBlankLines() throws {
        let csv = [
            "prefix,description,rate per minute,connection fee,first increment,increment",
            "33,France,0.0200,0,60,60",
            "336,\"France, mobile\",0.0900,0.0100,30,6",
            "",
            "44,\"The \"\"UK\"\"\",0.03,0,1,1\r",
        ].joined(separator: "\n")
        let rates = try RateDeck.parse(csv, currency: "EUR")
        XCTAssertEqual(rates.map(\.prefix), ["33", "336", "44"])
        XCTAssertEqual(rates[1].description, "France, mobile")
        XCTAssertEqual(rates[1].connectionFee, money("0.01"))
        XCTAssertEqual(rates[1].increments, try BillingIncrements(first: 30, following: 6))
        XCTAssertEqual(rates[2].description, "The \"UK\"")
        XCTAssertEqual(rates[2].perMinute, money("0.03"))
    }

    func testSkipsAByteOrderMarkBeforeTheHeader() throws {
        let rates = try RateDeck.parse("\u{FEFF}prefix,description,rate,fee,first,next\n33,France,0.02,0,60,60\n", currency: "EUR")
        XCTAssertEqual(rates.map(\.prefix), ["33"])
    }

    func testABadRowNamesItsLineAndColumn() {
        let cases: [(String, line: Int, column: Int?, fragment: String)] = [
            ("33,France,0.02,0,60,60\n34,Spain,abc,0,60,60\n", 2, 3, "rate per minute"),
            ("33,France,0.02,0,60,60\n\n34,Spain,0.02,0.001x,60,60\n", 3, 4, "connection fee"),
            ("prefix,d,r,c,f,i\n3x,France,0.02,0,60,60\n", 2, 1, "not a digit prefix"),
            ("33,France,0.02,0,60,60\n33,Again,0.02,0,60,60\n", 2, 1, "already defined on line 1"),
            ("33,France,0.02,0,0,60\n", 1, 5, "first increment"),
            ("33,France,0.02,0,60,six\n", 1, 6, "increment"),
            ("33,France,0.02,0,60\n", 1, nil, "expected 6 fields"),
            ("33,France,-0.02,0,60,60\n", 1, 3, "must not be negative"),
            ("33,\"France,0.02,0,60,60\n", 1, 2, "unterminated"),
        ]
        for c in cases {
            XCTAssertThrowsError(try RateDeck.parse(c.0, currency: "EUR")) { error in
                guard let error = error as? RateDeckError else { return XCTFail("\(error)") }
                XCTAssertEqual(error.line, c.line, c.0)
                XCTAssertEqual(error.column, c.column, c.0)
                XCTAssertTrue(error.description.contains(c.fragment), error.description)
                XCTAssertTrue(error.description.hasPrefix("line \(c.line)"), error.description)
            }
        }
    }

    /// Fuzz/Crashes/RateDeckFuzz/crash-1e9be558c6e0e576d7094c9a29ed58773d1cd191: an unterminated quote in the
    /// ninth field was reported as "column 9 (?)", a column the deck does not have.
    func testAnUnterminatedQuotePastTheSixthFieldNamesNoColumn() {
        let crash: [UInt8] = [
            0x70, 0x72, 0x65, 0x66, 0x69, 0x78, 0x2c, 0x64, 0x65, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x2c,
            0x35, 0x2c, 0x36, 0x30, 0x2c, 0x36, 0x6e, 0x63, 0x65, 0x2c, 0x20, 0x6d, 0x6f, 0x69, 0x62, 0x40,
            0x65, 0x22, 0x2c, 0x30, 0x2e, 0x30, 0x39, 0x30, 0x30, 0x2c, 0x30, 0x2e, 0x30, 0x31, 0x30, 0x30,
            0xd3, 0xcc, 0xcf, 0xd3, 0xc9, 0xf5, 0xf5, 0xcb, 0x34, 0x2c, 0x22, 0x54, 0x01, 0x00, 0x00, 0x00,
            0x00, 0x49, 0x6e, 0x74, 0x22, 0x22, 0x2c, 0x30, 0x2e, 0x30, 0x33, 0x2c, 0x30, 0x2c, 0x31, 0x2c,
            0x31, 0x0d, 0x0a,
        ]
        XCTAssertThrowsError(try RateDeck.parse(String(decoding: crash, as: UTF8.self), currency: "EUR")) { error in
            guard let error = error as? RateDeckError else { return XCTFail("\(error)") }
            XCTAssertEqual(error.line, 1)
            XCTAssertNil(error.column)
            XCTAssertFalse(error.description.contains("(?)"), error.description)
            XCTAssertTrue(error.description.contains("unterminated quoted field (field 9)"), error.description)
        }
        XCTAssertThrowsError(try RateDeck.parse("33,\"France,0.02,0,60,60\n", currency: "EUR")) { error in
            XCTAssertEqual((error as? RateDeckError)?.column, 2)
        }
    }
}
