import ArgumentParser
import Billing
import Foundation
import Store
import XCTest
@testable import SwitchbackCLI

final class RatesCommandTests: XCTestCase {
    static let deck = """
        prefix,description,rate per minute,connection fee,first increment,increment
        33,France,0.0200,0,60,60
        336,France mobile,0.0900,0.0100,30,6
        44,United Kingdom,0.6000,0.1000,30,6
        1,NANP,0.0100,0,1,1

        """

    func testImportThenQuoteBothLegs() throws {
        let directory = try TemporaryDataDirectory()
        let deck = try directory.file("deck.csv", contents: Self.deck)
        XCTAssertEqual(try runOperatorCommand(RatesCommand.self, ["import", "standard", deck], in: directory),
                       "imported 4 rates into plan standard (EUR, A leg free)\n")
        let quote = try runOperatorCommand(RatesCommand.self, ["quote", "--plan", "standard", "--to", "447700900123", "--seconds", "95"], in: directory)
        XCTAssertEqual(quote, """
            plan:             standard
            leg:              b
            destination:      447700900123
            matched prefix:   44 (United Kingdom)
            rate:             0.6000 EUR/min, connection fee 0.1000, increments 30/6
            answered seconds: 95
            billed seconds:   96
            cost:             1.0600 EUR

            """)
        let mobile = try runOperatorCommand(RatesCommand.self, ["quote", "--plan", "standard", "--to", "33612345678", "--seconds", "31"], in: directory)
        XCTAssertTrue(mobile.contains("matched prefix:   336 (France mobile)"), mobile)
        XCTAssertTrue(mobile.contains("billed seconds:   36"), mobile)
        XCTAssertTrue(mobile.contains("cost:             0.0640 EUR"), mobile)  // 0.01 + 0.09 × 36/60
        let aLeg = try runOperatorCommand(RatesCommand.self, ["quote", "--plan", "standard", "--to", "33123", "--seconds", "61", "--leg", "a"], in: directory)
        XCTAssertTrue(aLeg.contains("billed seconds:   120"), aLeg)
        XCTAssertTrue(aLeg.contains("cost:             0.0000 EUR (A leg not charged on this plan)"), aLeg)

        try runOperatorCommand(RatesCommand.self, ["import", "premium", deck, "--charge-a-leg"], in: directory)
        let charged = try runOperatorCommand(RatesCommand.self, ["quote", "--plan", "premium", "--to", "33123", "--seconds", "61", "--leg", "a"], in: directory)
        XCTAssertTrue(charged.contains("cost:             0.0400 EUR\n"), charged)
        let list = try runOperatorCommand(RatesCommand.self, ["list"], in: directory)
        XCTAssertTrue(list.contains("premium   EUR  charged  4"), list)
        XCTAssertTrue(list.contains("standard  EUR  free     4"), list)

        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["quote", "--plan", "standard", "--to", "49301", "--seconds", "5"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "no rate for 49301 in plan standard")
        }
        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["quote", "--plan", "gold", "--to", "331", "--seconds", "5"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "no rate plan \"gold\"")
        }
        // A plan can block premium prefixes its rates would otherwise serve.
        XCTAssertEqual(try runOperatorCommand(RatesCommand.self, ["import", "guarded", deck, "--block", "3389", "--block", "1900"],
                                              in: directory),
                       "imported 4 rates into plan guarded (EUR, A leg free, blocks 3389 1900)\n")
        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["quote", "--plan", "guarded", "--to", "33891234", "--seconds", "5"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "33891234 is blocked by plan guarded (prefix 3389)")
        }
        XCTAssertTrue(try runOperatorCommand(RatesCommand.self, ["list"], in: directory).contains("guarded   EUR  free     4      3389 1900"))
        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["import", "broken", deck, "--block", "19x"], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "--block: invalid prefix \"19x\": digits only; nothing imported")
        }
        XCTAssertThrowsError(try RatesCommand.parseAsRoot(["quote", "--plan", "standard", "--to", "331", "--seconds", "5", "--leg", "c"]))
        XCTAssertThrowsError(try RatesCommand.parseAsRoot(["quote", "--plan", "standard", "--to", "331", "--seconds=-5"]))
    }

    func testADeckWithABadRowImportsNothingAndNamesLineAndColumn() throws {
        let directory = try TemporaryDataDirectory()
        let good = try directory.file("good.csv", contents: Self.deck)
        try runOperatorCommand(RatesCommand.self, ["import", "standard", good], in: directory)
        let bad = try directory.file("bad.csv", contents: """
            prefix,description,rate per minute,connection fee,first increment,increment
            49,Germany,0.0300,0,60,60
            491,Germany mobile,0.12O0,0,60,60
            34,Spain,0.0200,0,60,60
            """)
        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["import", "standard", bad], in: directory)) {
            XCTAssertEqual(operatorErrorMessage($0), "\(bad): line 3, column 3 (rate per minute): invalid amount \"0.12O0\": "
                + "unexpected character 'O' (expected digits with up to 4 decimals, e.g. 12.3456); nothing imported")
        }
        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["import", "fresh", bad], in: directory))
        let store = try directory.store()
        XCTAssertEqual(try store.ratePlans().map(\.name), ["standard"], "the new plan was not created")
        let standard = try XCTUnwrap(store.ratePlan(named: "standard"))
        XCTAssertEqual(standard.table.count, 4, "the existing plan is untouched")
        XCTAssertNil(standard.table.rate(for: "4912345"))

        let short = try directory.file("short.csv", contents: "33,France,0.02,0,60\n")
        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["import", "standard", short], in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).contains("line 1: expected 6 fields"), operatorErrorMessage($0))
        }
        XCTAssertThrowsError(try runOperatorCommand(RatesCommand.self, ["import", "standard", directory.path + "/missing.csv"], in: directory)) {
            XCTAssertTrue(operatorErrorMessage($0).hasPrefix("cannot read rate deck"), operatorErrorMessage($0))
        }
    }
}
