import XCTest
@testable import IVR

final class SayVerbTests: XCTestCase {
    func say(_ item: String, _ variables: [String: IVRValue] = [:], language: String = "en") throws -> [String] {
        let yaml = "script: t\nlanguage: \(language)\nstart: a\nnodes:\n  a:\n    do: say\n    say: [\(item)]\n"
        var call = try InterpreterHarness(yaml, context: CallContext(caller: "+4930123", dnis: "100", variables: variables))
        call.start()
        return call.lastPlayed?.map(\.name) ?? []
    }

    func testDigits() throws {
        XCTAssertEqual(try say("{ digits: $caller }"), ["plus", "number-4", "number-9", "number-3", "number-0", "number-1", "number-2", "number-3"])
        XCTAssertEqual(try say("{ digits: \"1*#\" }"), ["number-1", "star", "hash"])
    }

    func testNumber() throws {
        XCTAssertEqual(try say("{ number: 1234 }"), ["number-1", "thousand", "number-2", "hundred", "number-30", "number-4"])
        XCTAssertEqual(try say("{ number: $n }", ["n": .string("15")]), ["number-15"])
        XCTAssertEqual(try say("{ number: -2.5 }"), ["minus", "number-2", "point", "number-5"])
    }

    func testPromptsAndValuesMix() throws {
        XCTAssertEqual(try say("you-entered, { number: 0 }"), ["you-entered", "number-0"])
    }

    func testMoneyDurationDate() throws {
        XCTAssertEqual(try say("{ money: \"12.50\", currency: USD }"), ["number-12", "dollars", "and", "number-50", "cents"])
        XCTAssertEqual(try say("{ money: $account.balance }", ["account": .record(["balance": .number(Decimal(string: "1.01")!), "currency": .string("EUR")])]),
                       ["number-1", "euro", "and", "number-1", "cent"])
        XCTAssertEqual(try say("{ duration: 3725 }"), ["number-1", "hour", "number-2", "minutes", "number-5", "seconds"])
        XCTAssertEqual(try say("{ date: \"2026-11-22\" }"), ["month-november", "ordinal-22", "number-20", "number-20", "number-6"])
    }

    func testGermanScriptSaysGermanValues() throws {
        XCTAssertEqual(try say("{ money: \"21.50\", currency: EUR }", language: "de"), ["ein", "und", "number-20", "euro", "number-50"])
        XCTAssertEqual(try say("{ duration: 61 }", language: "de"), ["eine", "minute", "und", "eine", "sekunde"])
        let yaml = "script: t\nlanguage: de\nstart: a\nnodes:\n  a: { do: say, say: [you-entered, { number: 31 }] }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.lastPlayed, [PromptRef(name: "you-entered", language: "de"), PromptRef(name: "ein", language: "de"),
                                         PromptRef(name: "und", language: "de"), PromptRef(name: "number-30", language: "de")])
    }

    func testUnknownLanguageSaysValuesWithFallbackPack() throws {
        let yaml = "script: t\nlanguage: fr\nfallback-language: de\nstart: a\nnodes:\n  a: { do: say, say: [{ number: 1 }] }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.lastPlayed, [PromptRef(name: "number-1", language: "de")])
    }

    func testUnsayableValueIsSkippedWithTrace() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a:\n    do: say\n    say: [you-entered, { number: $nothing }]\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertEqual(call.lastPlayed?.map(\.name), ["you-entered"])
        XCTAssertTrue(call.traces.contains { if case .failure(_, let message) = $0 { return message.contains("as number") } else { return false } })
    }

    func testNothingToSayMovesOn() throws {
        let yaml = "script: t\nstart: a\nnodes:\n  a:\n    do: say\n    say: [{ digits: $empty }]\n    next: b\n  b: { do: hangup }\n"
        var call = try InterpreterHarness(yaml)
        call.start()
        XCTAssertTrue(call.interpreter.isFinished)
        XCTAssertEqual(call.outcomes, ["a.next"])
    }
}
