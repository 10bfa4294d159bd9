import Foundation
import IVR
@testable import Switchboard
import XCTest

/// The catalog validates every campaign script as `switchback validate` does and refuses
/// the whole set on any error, naming `file:line:column`.
final class ScriptCatalogTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private let prompts = PromptCatalog(available: ["en": ["welcome", "goodbye"]])

    private func write(_ name: String, _ text: String) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    private func configuration(_ campaigns: [String: String], numbers: [String: String]) -> SwitchbackConfiguration {
        var configuration = SwitchbackConfiguration()
        for (name, script) in campaigns { configuration.campaigns[name] = .init(script: script) }
        for (number, campaign) in numbers { configuration.accessNumbers[number] = .init(campaign: campaign) }
        return configuration
    }

    private static let good = """
    script: good
    language: en
    start: hello
    nodes:
      hello: { do: play, prompt: welcome, next: bye }
      bye: { do: hangup, prompt: goodbye }

    """

    func testValidScriptsServeTheirAccessNumbers() throws {
        _ = try write("good.yaml", Self.good)
        let catalog = try ScriptCatalog(configuration: configuration(["a": "good.yaml"], numbers: ["1": "a", "2": "a"]),
                                        baseDirectory: directory, promptCatalog: prompts)
        XCTAssertEqual(catalog.accessNumbers, ["1", "2"])
        XCTAssertEqual(catalog.entry(forAccessNumber: "1")?.script.name.value, "good")
        XCTAssertEqual(catalog.entry(forAccessNumber: "2")?.campaign, "a")
        XCTAssertTrue(catalog.warnings.isEmpty, "\(catalog.warnings)")
    }

    /// A campaign's `language:` overrides its script's: prompts come from that language,
    /// and each one missing there falls back to the script's own with a warning at load.
    func testACampaignLanguagePlaysItsPromptsAndWarnsFileByFileWhereItFallsBack() throws {
        _ = try write("good.yaml", Self.good)
        var configuration = configuration(["a": "good.yaml"], numbers: ["1": "a", "2": "b"])
        configuration.campaigns["b"] = .init(script: "good.yaml")
        configuration.campaigns["a"]?.language = "de"
        let prompts = PromptCatalog(available: ["en": ["welcome", "goodbye"], "de": ["welcome"]])
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: directory, promptCatalog: prompts)
        XCTAssertEqual(catalog.entry(forAccessNumber: "1")?.callVariables["language"], .string("de"))
        XCTAssertNil(catalog.entry(forAccessNumber: "2")?.callVariables["language"], "campaign b speaks the script's language")
        XCTAssertEqual(catalog.warnings.map(\.message), ["prompt 'goodbye' is missing in sounds/de/; the en one will play"])

        let entry = try XCTUnwrap(catalog.entry(forAccessNumber: "1"))
        var context = IVR.CallContext(caller: "4930111", dnis: "1")
        context.variables.merge(entry.callVariables) { $1 }
        var interpreter = Interpreter(script: entry.script, context: context, promptCatalog: prompts)
        let played = interpreter.start().compactMap { action -> [PromptRef]? in
            if case .play(_, let refs, _) = action { return refs } else { return nil }
        }
        XCTAssertEqual(played.first?.map(\.description), ["de/welcome"])
    }

    func testAMissingPromptRefusesTheCatalogWithItsLocation() throws {
        _ = try write("good.yaml", Self.good)
        let broken = try write("broken.yaml", Self.good.replacingOccurrences(of: "script: good", with: "script: broken")
            .replacingOccurrences(of: "prompt: goodbye", with: "prompt: farewell"))
        XCTAssertThrowsError(try ScriptCatalog(configuration: configuration(["a": "good.yaml", "b": "broken.yaml"], numbers: ["1": "a", "2": "b"]),
                                               baseDirectory: directory, promptCatalog: prompts)) { error in
            let lines = (error as? ScriptCatalogError)?.lines ?? []
            XCTAssertEqual(lines, ["\(broken.path):6:30: error: prompt 'farewell' does not exist: no sounds/en/farewell.wav"])
        }
    }

    func testLoaderAndMeaningErrorsOfEveryCampaignAreReportedTogether() throws {
        let unknown = try write("unknown.yaml", """
        script: unknown
        language: en
        start: hello
        nodes:
          hello: { do: play, prompt: welcome, next: nowhere }

        """)
        let unreachable = try write("unreachable.yaml", Self.good.replacingOccurrences(of: "script: good", with: "script: unreachable")
            + "  island: { do: hangup }\n")
        XCTAssertThrowsError(try ScriptCatalog(configuration: configuration(["u": "unknown.yaml", "r": "unreachable.yaml"], numbers: [:]),
                                               baseDirectory: directory, promptCatalog: prompts)) { error in
            let lines = (error as? ScriptCatalogError)?.lines ?? []
            XCTAssertEqual(lines.count, 2, "\(lines)")
            XCTAssertTrue(lines.contains { $0.hasPrefix("\(unknown.path):5:") && $0.contains("nowhere") }, "\(lines)")
            XCTAssertTrue(lines.contains { $0.hasPrefix("\(unreachable.path):7:3: error: node 'island' is unreachable") }, "\(lines)")
        }
    }

    func testAMissingFileIsAnErrorAtItsFirstLine() throws {
        XCTAssertThrowsError(try ScriptCatalog(configuration: configuration(["a": "absent.yaml"], numbers: ["1": "a"]),
                                               baseDirectory: directory, promptCatalog: prompts)) { error in
            let lines = (error as? ScriptCatalogError)?.lines ?? []
            XCTAssertEqual(lines.count, 1)
            XCTAssertTrue(lines.first?.hasPrefix(directory.appendingPathComponent("absent.yaml").path + ":1:1: error: cannot read") ?? false, "\(lines)")
        }
    }

    /// A script a campaign reaches by `goto` is in the call's library and validated too.
    func testScriptsReachedByGotoAreValidatedAndGivenToCalls() throws {
        _ = try write("entry.yaml", """
        script: entry
        language: en
        start: hop
        nodes:
          hop: { do: goto, script: other, node: hello }

        """)
        let other = try write("other.yaml", """
        script: other
        language: en
        start: hello
        nodes:
          hello: { do: play, prompt: missing-one, next: bye }
          bye: { do: hangup }

        """)
        XCTAssertThrowsError(try ScriptCatalog(configuration: configuration(["e": "entry.yaml"], numbers: ["1": "e"]),
                                               baseDirectory: directory, promptCatalog: prompts)) { error in
            let lines = (error as? ScriptCatalogError)?.lines ?? []
            XCTAssertEqual(lines, ["\(other.path):5:30: error: prompt 'missing-one' does not exist: no sounds/en/missing-one.wav"])
        }
        try Self.good.replacingOccurrences(of: "script: good", with: "script: other").write(to: other, atomically: true, encoding: .utf8)
        let catalog = try ScriptCatalog(configuration: configuration(["e": "entry.yaml"], numbers: ["1": "e"]),
                                        baseDirectory: directory, promptCatalog: prompts)
        XCTAssertEqual(catalog.entry(forAccessNumber: "1")?.library.script(named: "other")?.start.value, "hello")
    }
}
