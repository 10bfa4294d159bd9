import Foundation
import XCTest
@testable import IVR

/// Bounded fuzzing (issue 3, "Robustness"): arbitrary bytes and mutated scripts fed to the
/// loader and validator, and random event sequences fed to the interpreter, never crash
/// them. Deterministic (seeded); set IVR_FUZZ_ITERATIONS to run longer.
final class FuzzTests: XCTestCase {
    /// SplitMix64: small, seedable, good enough to shake a parser.
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static var iterations: Int {
        ProcessInfo.processInfo.environment["IVR_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 1500
    }

    static let seeds: [String] = {
        let scripts = DemoScriptTests.repositoryRoot.appendingPathComponent("scripts")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: scripts.path)) ?? []
        return files.filter { $0.hasSuffix(".yaml") }.sorted().compactMap {
            try? String(contentsOf: scripts.appendingPathComponent($0), encoding: .utf8)
        } + Array(SchemaAgreementTests.cases.values)
    }()

    static let fragments = ["{", "}", "[", "]", ":", ": ", "- ", "\n", "\n  ", "\"", "'", "&a", "*a", "!!str ", "? ", "|", ">",
                            "#", "$", "${", "$a.b", "..", "do: ", "on: {", "next: ", "\u{0}", "\u{FEFF}", "é", "🙂", "\t",
                            "digits: 1..99", "timeout: -1s", "cases: [{ if: ", "expr: \"((((\"", "<<: *a", "---\n", "...\n"]

    func check(_ text: String, file: String) {
        let (script, diagnostics) = ScriptLoader.parse(yaml: text, file: file)
        _ = ScriptLoader.parse(yaml: text, file: file, schemaOnly: true)
        for diagnostic in diagnostics {
            XCTAssertEqual(diagnostic.location.file, file)
            XCTAssertGreaterThanOrEqual(diagnostic.location.line, 0)
        }
        let findings = ScriptValidator(promptCatalog: PromptCatalog(available: ["en": ["welcome"]])).validate(yaml: text, file: file)
        if diagnostics.contains(where: { $0.severity == .error }) {
            XCTAssertTrue(findings.contains { $0.severity == .error }, "validate reports what the loader refused")
        } else if let script {
            XCTAssertTrue(GraphRenderer.dot(script).hasPrefix("digraph "))
        }
    }

    func testRandomBytes() {
        var random = Generator(state: 0x5EED_0001)
        for iteration in 0..<Self.iterations {
            let count = Int.random(in: 0...400, using: &random)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &random) }
            check(String(decoding: bytes, as: UTF8.self), file: "random-\(iteration).yaml")
        }
    }

    func testMutatedScripts() {
        var random = Generator(state: 0x5EED_0002)
        XCTAssertGreaterThan(Self.seeds.count, 10)
        for iteration in 0..<Self.iterations {
            var text = Array(Self.seeds.randomElement(using: &random)!.unicodeScalars)
            for _ in 0..<Int.random(in: 1...6, using: &random) where !text.isEmpty {
                let position = Int.random(in: 0..<text.count, using: &random)
                switch Int.random(in: 0...3, using: &random) {
                case 0: text.remove(at: position)
                case 1: text.insert(contentsOf: Self.fragments.randomElement(using: &random)!.unicodeScalars, at: position)
                case 2: text[position] = Unicode.Scalar(UInt8.random(in: 32...126, using: &random))
                default:
                    let end = min(text.count, position + Int.random(in: 1...40, using: &random))
                    let slice = Array(text[position..<end])
                    text.insert(contentsOf: slice, at: Int.random(in: 0...text.count, using: &random))
                }
            }
            var string = ""
            string.unicodeScalars.append(contentsOf: text)
            check(string, file: "mutant-\(iteration).yaml")
        }
    }

    func testDeepNestingDoesNotOverflow() {
        check(String(repeating: "[", count: 5000), file: "deep.yaml")
        check(String(repeating: "- ", count: 3000) + "x", file: "deep-list.yaml")
        check("script: t\nstart: a\nnodes:\n  a: { do: branch, cases: [{ if: \"" + String(repeating: "not ", count: 3000) + "1\", then: a }] }\n", file: "deep-expression.yaml")
    }

    /// Random events, stale ids included, never break the interpreter's promises.
    func testRandomEventsKeepInterpreterPromises() throws {
        var random = Generator(state: 0x5EED_0003)
        let scripts = DemoScriptTests.repositoryRoot.appendingPathComponent("scripts")
        let (library, _) = ScriptLibrary.load(directory: scripts)
        let results: [ServiceResult] = [.authenticated(account: ["login": .string("x"), "balance": .integer(5), "currency": .string("USD")]),
                                        .authenticationFailed, .locked, .credit(.ok(maxDurationSeconds: 90, ratePerMinute: 1)),
                                        .credit(.insufficient), .credit(.blocked), .balance(amount: 3, currency: "EUR"),
                                        .dialEnded(.busy), .dialEnded(.ended), .done, .failed(reason: "x")]
        for round in 0..<max(50, Self.iterations / 10) {
            let script = library.scripts.values.sorted { $0.name.value < $1.name.value }[round % library.scripts.count]
            var interpreter = Interpreter(script: script, context: CallContext(caller: "123", dnis: "456", variables: [
                "request": .record(["destinations": .list([.string("1")]), "destination": .string("1")]),
                "account": .record(["login": .string("a")]),
            ]), library: library)
            var actions = interpreter.start()
            var maxID = 0
            for _ in 0..<200 {
                for action in actions {
                    switch action {
                    case .play(let id, _, _): maxID = max(maxID, id.rawValue)
                    case .startTimer(let id, let ms): maxID = max(maxID, id.rawValue); XCTAssertGreaterThan(ms, 0)
                    case .request(let id, _): maxID = max(maxID, id.rawValue)
                    case .hangup: XCTAssertTrue(interpreter.isFinished, "a hangup action finishes the call")
                    default: break
                    }
                }
                if interpreter.isFinished {
                    let after = interpreter.handle(.digit("1")) + interpreter.handle(.timerFired(TimerID(maxID)))
                    XCTAssertTrue(after.allSatisfy { if case .trace = $0 { return true } else { return false } },
                                  "a finished call only records: \(after)")
                    break
                }
                let id = Int.random(in: 0...(maxID + 2), using: &random)
                let event: IVREvent
                switch Int.random(in: 0...5, using: &random) {
                case 0: event = .promptFinished(PlaybackID(id))
                case 1: event = .timerFired(TimerID(id))
                case 2: event = .serviceResult(ServiceRequestID(id), results.randomElement(using: &random)!)
                case 3: event = .digit(Array("0123456789*#ABCDx").randomElement(using: &random)!)
                case 4: event = .digit("#")
                default: event = Int.random(in: 0...40, using: &random) == 0 ? .hangup : .promptFinished(PlaybackID(maxID))
                }
                actions = interpreter.handle(event)
            }
        }
    }
}
