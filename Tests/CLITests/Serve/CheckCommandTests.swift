import Foundation
import Switchboard
import XCTest
@testable import SwitchbackCLI

/// `switchback check`: every shipped configuration and script passes; each kind of
/// mistake an operator makes is reported with the file, line and column where it is.
final class CheckCommandTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private var share: URL { Self.packageRoot }

    private func check(_ yaml: String, name: String = "config.yaml", in directory: TemporaryDataDirectory)
        throws -> (path: String, report: CheckCommand.Report) {
        let path = try directory.file(name, contents: yaml)
        return (path, CheckCommand.check(config: path, shareDirectory: share))
    }

    func testTheCheckoutIsAShareDirectory() {
        XCTAssertTrue(ShareDirectory.isShareDirectory(share), share.path)
    }

    func testEmbeddedDefaultsPass() {
        let report = CheckCommand.check(config: nil, shareDirectory: share)
        XCTAssertEqual(report.errors, [])
        XCTAssertTrue(report.summary.hasPrefix("6 campaign(s), 4 access number(s), 0 trunk(s)"), report.summary)
    }

    /// The package's /etc/switchback/config.yaml, checked where it will live (outside the
    /// share directory): the embedded campaigns must resolve to the share directory.
    func testShippedPackageConfigPassesFromAnotherDirectory() throws {
        let directory = try TemporaryDataDirectory()
        let shipped = try String(contentsOf: Self.packageRoot.appendingPathComponent("packaging/config.yaml"), encoding: .utf8)
        let (_, report) = try check(shipped, in: directory)
        XCTAssertEqual(report.errors, [])
        XCTAssertTrue(report.summary.hasPrefix("6 campaign(s)"), report.summary)
    }

    /// A configuration naming only its trunks starts on the shipped campaigns and sounds.
    func testTrunksOnlyConfigPasses() throws {
        let directory = try TemporaryDataDirectory()
        let (_, report) = try check("""
            trunks:
              - { name: pstn, uri: "sip:gateway.example.net:5060", destinations: ["*"] }
            """, in: directory)
        XCTAssertEqual(report.errors, [])
        XCTAssertEqual(report.summary, "6 campaign(s), 4 access number(s), 1 trunk(s)")
    }

    /// Every script shipped in scripts/, each as a campaign of its own.
    func testEveryShippedScriptPasses() throws {
        let directory = try TemporaryDataDirectory()
        let scripts = try FileManager.default.contentsOfDirectory(atPath: Self.packageRoot.appendingPathComponent("scripts").path)
            .filter { $0.hasSuffix(".yaml") }.sorted()
        XCTAssertGreaterThanOrEqual(scripts.count, 7, "\(scripts)")
        let campaigns = scripts.map { "  \($0.dropLast(5)): { script: \(share.path)/scripts/\($0) }" }.joined(separator: "\n")
        let numbers = scripts.enumerated().map { "  \"\(900 + $0.offset)\": { campaign: \($0.element.dropLast(5)) }" }
            .joined(separator: "\n")
        let (_, report) = try check("""
            sounds: \(share.path)/sounds
            campaigns:
            \(campaigns)
            access-numbers:
            \(numbers)
            """, in: directory)
        XCTAssertEqual(report.errors, [])
        XCTAssertTrue(report.summary.hasPrefix("\(scripts.count) campaign(s)"), report.summary)
    }

    func testUnknownKeyNamesItsLine() throws {
        let directory = try TemporaryDataDirectory()
        let (path, report) = try check("""
            sip:
              listen: [udp:0.0.0.0:5060]
              lisen: [tcp:0.0.0.0:5060]
            """, in: directory)
        XCTAssertEqual(report.errors.count, 1, "\(report.errors)")
        XCTAssertTrue(report.errors[0].hasPrefix("\(path):3: error: sip.lisen: unknown key"), report.errors[0])
    }

    func testMissingScriptNamesTheConfigurationLine() throws {
        let directory = try TemporaryDataDirectory()
        let (path, report) = try check("""
            campaigns:
              demo: { script: \(share.path)/scripts/demo.yaml }
              card:
                script: scripts/no-such-card.yaml
            access-numbers:
              "100": { campaign: demo }
              "200": { campaign: card }
            """, in: directory)
        let missing = directory.url.appendingPathComponent("scripts/no-such-card.yaml").standardizedFileURL.path
        XCTAssertEqual(report.errors, ["\(path):4:13: error: campaigns.card.script: no such file '\(missing)'"])
    }

    func testBadTrunkURINamesItsLine() throws {
        let directory = try TemporaryDataDirectory()
        let (path, report) = try check("""
            trunks:
              - name: pstn
                uri: gateway.example.net:5060
            """, in: directory)
        XCTAssertEqual(report.errors.count, 1, "\(report.errors)")
        XCTAssertTrue(report.errors[0].hasPrefix("\(path):3: error: trunks[0].uri: trunk pstn: bad uri 'gateway.example.net:5060'"), report.errors[0])
    }

    func testScriptErrorsComeAsFileLineColumn() throws {
        let directory = try TemporaryDataDirectory()
        let script = try directory.file("broken.yaml", contents: """
            script: broken
            language: en
            start: hello
            nodes:
              hello: { do: play, prompt: welcome, next: nowhere }
            """)
        let (_, report) = try check("""
            sounds: \(share.path)/sounds
            campaigns:
              broken: { script: broken.yaml }
            access-numbers:
              "100": { campaign: broken }
            """, in: directory)
        XCTAssertFalse(report.errors.isEmpty)
        XCTAssertTrue(report.errors.allSatisfy { $0.hasPrefix("\(script):") }, "\(report.errors)")
        XCTAssertTrue(report.errors.contains { $0.contains("nowhere") }, "\(report.errors)")
    }

    func testBadListenAddressAndMissingSoundsAreErrors() throws {
        let directory = try TemporaryDataDirectory()
        let (path, report) = try check("""
            sip: { listen: [udp:nonsense] }
            sounds: no-such-sounds
            """, in: directory)
        XCTAssertTrue(report.errors.contains { $0.hasPrefix("\(path): error: sip.listen: 'udp:nonsense'") }, "\(report.errors)")
        XCTAssertTrue(report.errors.contains { $0.hasPrefix("\(path): error: sounds: no such directory") }, "\(report.errors)")
    }

    /// `database:` names a PostgreSQL by URL; a malformed one is reported with its line and
    /// key path, and what form is expected.
    func testAMalformedDatabaseURLIsReportedWithItsKey() throws {
        let directory = try TemporaryDataDirectory()
        let (path, report) = try check("""
            http: { listen: 127.0.0.1:8080 }
            database: postgresql://db.example/switchback
            """, in: directory)
        XCTAssertTrue(report.errors.contains { $0.hasPrefix("\(path):2: error: database: no user name") }, "\(report.errors)")
        XCTAssertTrue(report.errors.contains { $0.contains("postgresql://user[:password]@host[:port]/dbname") }, "\(report.errors)")
        let (_, good) = try check("database: postgresql://switchback:secret@db.example:5432/switchback", in: directory)
        XCTAssertEqual(good.errors, [])
    }
}
