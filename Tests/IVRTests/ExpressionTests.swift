import XCTest
@testable import IVR

final class ExpressionTests: XCTestCase {
    let here = SourceLocation(file: "e.yaml", line: 3, column: 10)
    let context = CallContext(caller: "+4930123", dnis: "100", variables: [
        "account": .record(["balance": .number(Decimal(string: "2.50")!), "login": .string("alice")]),
        "destination": .string("0049301234"),
        "tries": .integer(2),
        "list": .list([.string("a"), .string("b")]),
    ])

    func eval(_ text: String) throws -> IVRValue {
        try Expression.parse(text, at: here).evaluate(in: context)
    }

    func testComparisonsAndLogic() throws {
        XCTAssertEqual(try eval("$account.balance >= 1 and starts_with($destination, \"00\")"), .bool(true))
        XCTAssertEqual(try eval("$account.balance > 3 or $tries == 2"), .bool(true))
        XCTAssertEqual(try eval("not ($tries < 3)"), .bool(false))
        XCTAssertEqual(try eval("${account.login} == 'alice' && !is_set($nothing)"), .bool(true))
        XCTAssertEqual(try eval("$destination == \"49301234\""), .bool(false), "strings compare as strings")
        XCTAssertEqual(try eval("$tries == \"2\""), .bool(true), "a number equals the string that spells it")
    }

    func testArithmeticIsExact() throws {
        XCTAssertEqual(try eval("$tries + 1"), .integer(3))
        XCTAssertEqual(try eval("$account.balance * 3 - 0.5"), .number(Decimal(string: "7")!))
        XCTAssertEqual(try eval("0.1 + 0.2 == 0.3"), .bool(true))
        XCTAssertEqual(try eval("1 / 0"), .null)
        XCTAssertEqual(try eval("2 + 3 * 4"), .integer(14))
        XCTAssertEqual(try eval("-$tries"), .integer(-2))
        XCTAssertEqual(try eval("'+' + $tries"), .string("+2"))
    }

    func testFunctions() throws {
        XCTAssertEqual(try eval("len($destination)"), .integer(10))
        XCTAssertEqual(try eval("len($list)"), .integer(2))
        XCTAssertEqual(try eval("contains($list, 'b')"), .bool(true))
        XCTAssertEqual(try eval("substr($destination, 2, 2)"), .string("49"))
        XCTAssertEqual(try eval("round(2.345, 2)"), .number(Decimal(string: "2.35")!))
        XCTAssertEqual(try eval("max(abs(-4), 3)"), .integer(4))
        XCTAssertEqual(try eval("upper(lower('AbC'))"), .string("ABC"))
        XCTAssertEqual(try eval("number('12') + 1"), .integer(13))
    }

    func testParseErrorsNameTheColumn() {
        XCTAssertThrowsError(try Expression.parse("$a >", at: here)) {
            XCTAssertEqual("\($0)", "e.yaml:3:14: error: in expression \"$a >\": expected a value, found end of expression")
        }
        XCTAssertThrowsError(try Expression.parse("lenn($a)", at: here)) {
            XCTAssertTrue("\($0)".contains("unknown name 'lenn' (did you mean 'len'?)"), "\($0)")
        }
        XCTAssertThrowsError(try Expression.parse("len($a, $b)", at: here)) {
            XCTAssertTrue("\($0)".contains("len() takes 1 argument(s), not 2"), "\($0)")
        }
        XCTAssertThrowsError(try Expression.parse("'open", at: here))
        XCTAssertThrowsError(try Expression.parse("$a ; rm", at: here))
        XCTAssertThrowsError(try Expression.parse(String(repeating: "(", count: 500) + "1" + String(repeating: ")", count: 500), at: here)) {
            XCTAssertTrue("\($0)".contains("nested too deeply"), "\($0)")
        }
    }

    func testVariablesListed() throws {
        XCTAssertEqual(try Expression.parse("len($a.b) > $c or is_set(${d})", at: here).variables.map(\.description), ["$a.b", "$c", "$d"])
    }
}
