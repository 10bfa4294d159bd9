import XCTest
@testable import IVR

/// Keeps `sounds/<language>/prompts.tsv` (what `sounds/generate` speaks), the language
/// packs and the shipped scripts in agreement, and checks the generated files are there.
final class PromptSetTests: XCTestCase {
    static let root = DemoScriptTests.repositoryRoot

    static func promptList(_ language: String) throws -> [String: String] {
        let url = root.appendingPathComponent("sounds/\(language)/prompts.tsv")
        let text = try String(contentsOf: url, encoding: .utf8)
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.trimmingCharacters(in: .whitespaces).isEmpty {
            let fields = line.split(separator: "\t", maxSplits: 1).map(String.init)
            XCTAssertEqual(fields.count, 2, "prompts.tsv line must be NAME<TAB>TEXT: \(line)")
            if fields.count == 2 {
                XCTAssertNil(result[fields[0]], "\(language): prompt \(fields[0]) listed twice")
                result[fields[0]] = fields[1]
            }
        }
        return result
    }

    func testLanguagePackPhrasesAreListed() throws {
        for pack in LanguagePacks.all {
            let listed = try Self.promptList(pack.code)
            var missing: [String] = []
            for (name, phrase) in pack.phrases.sorted(by: { $0.key < $1.key }) where listed[name] != phrase {
                missing.append("\(name)\t\(phrase)")
            }
            XCTAssertTrue(missing.isEmpty, "sounds/\(pack.code)/prompts.tsv lacks or differs on:\n" + missing.joined(separator: "\n"))
        }
    }

    func testEveryListedPromptWasGenerated() throws {
        for pack in LanguagePacks.all {
            let catalog = PromptCatalog.scan(soundsRoot: Self.root.appendingPathComponent("sounds"))
            for name in try Self.promptList(pack.code).keys.sorted() {
                XCTAssertTrue(catalog.contains(name, language: pack.code), "sounds/\(pack.code)/\(name).wav is missing: run sounds/generate")
            }
        }
    }

    func testShippedScriptsPromptsAreListed() throws {
        let scripts = Self.root.appendingPathComponent("scripts")
        let files = try FileManager.default.contentsOfDirectory(atPath: scripts.path).filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertTrue(files.contains("demo.yaml"))
        for file in files {
            let script = try ScriptLoader.load(contentsOf: scripts.appendingPathComponent(file))
            let listed = try Self.promptList(script.language.value)
            for name in ScriptPrompts.names(in: script) {
                XCTAssertNotNil(listed[name], "\(file): prompt '\(name)' is not in sounds/\(script.language.value)/prompts.tsv")
            }
        }
    }

    func testWavFormatIsEightKilohertzMono16Bit() throws {
        let url = Self.root.appendingPathComponent("sounds/en/welcome.wav")
        let data = try Data(contentsOf: url)
        XCTAssertGreaterThan(data.count, 44)
        func uint32(_ offset: Int) -> UInt32 { data[offset..<offset + 4].enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * $1.offset) } }
        func uint16(_ offset: Int) -> UInt16 { UInt16(data[offset]) | UInt16(data[offset + 1]) << 8 }
        XCTAssertEqual(String(decoding: data[0..<4], as: UTF8.self), "RIFF")
        XCTAssertEqual(String(decoding: data[8..<12], as: UTF8.self), "WAVE")
        XCTAssertEqual(uint16(20), 1, "PCM")
        XCTAssertEqual(uint16(22), 1, "mono")
        XCTAssertEqual(uint32(24), 8000, "8 kHz")
        XCTAssertEqual(uint16(34), 16, "16-bit")
        let seconds = Double(data.count - 44) / 16000
        XCTAssertTrue((2.0...4.5).contains(seconds), "the welcome lasts \(seconds) s")
    }
}
