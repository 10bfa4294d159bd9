import ArgumentParser
import Foundation
import IVR
import SIPStack
import Switchboard

/// `switchback check [--config F]`: what `serve` would refuse, found without binding a
/// port: the configuration, the listen addresses, the trunks, the sounds and every
/// campaign script (and the scripts they reach). The service unit runs it before a
/// reload, so a bad edit never reaches the running server.
public struct CheckCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a configuration and every campaign script it names, without starting the server.",
        discussion: """
        Reads the configuration as `serve` does (the embedded defaults when --config is not \
        given, with the shipped scripts and sounds of the share directory), then checks the \
        SIP and HTTP listen addresses, the trunks, the sounds directory and every campaign \
        script as `switchback validate` does. Prints each error as FILE:LINE:COLUMN: error: \
        MESSAGE (warnings as warning:) and a summary; exits 0 when there is no error, 1 \
        otherwise. Binds no port and opens no database.
        """)

    @Option(name: .long, help: "Configuration file (YAML); default: the embedded defaults.")
    var config: String?

    @Option(name: .customLong("share-dir"),
            help: "Shipped scripts, sounds and schemas (default: /usr/share/switchback when installed, else the checkout).")
    var shareDir: String?

    public init() {}

    public func run() throws {
        let report = Self.check(config: config, shareDirectory: ShareDirectory.locate(explicit: shareDir))
        for line in report.errors { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        for line in report.warnings { FileHandle.standardError.write(Data("\(line)\n".utf8)) }
        let file = config ?? "embedded defaults"
        if report.errors.isEmpty {
            print("\(file): ok: \(report.summary)")
        } else {
            FileHandle.standardError.write(Data("\(file): \(report.errors.count) error(s)\n".utf8))
            throw ExitCode.failure
        }
    }

    struct Report {
        var errors: [String] = []
        var warnings: [String] = []
        var summary = ""
    }

    static func check(config: String?, shareDirectory: URL) -> Report {
        var report = Report()
        let configuration: SwitchbackConfiguration
        do {
            configuration = try config.map {
                try ConfigurationLoader.load(contentsOf: URL(fileURLWithPath: $0), shareDirectory: shareDirectory)
            } ?? SwitchbackConfiguration.embeddedDefaults(shareDirectory: shareDirectory)
        } catch {
            report.errors.append("\(error)")
            return report
        }
        let file = configuration.file ?? "<embedded defaults>"
        let baseDirectory = config.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        for address in configuration.sip.listen {
            do {
                _ = try SIPListenAddress(parsing: address)
            } catch {
                report.errors.append("\(file): error: sip.listen: '\(address)': \(error)")
            }
        }
        if ServeCommand.splitHostPort(configuration.http.listen) == nil {
            report.errors.append("\(file): error: http.listen: expected HOST:PORT, got '\(configuration.http.listen)'")
        }
        do {
            _ = try TrunkSelector(configuration: configuration.trunks)
        } catch {
            report.errors.append("\(file): error: trunks: \(error)")
        }
        let sounds = ScriptCatalog.soundsRoot(of: configuration, baseDirectory: baseDirectory)
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: sounds.path, isDirectory: &isDirectory) || !isDirectory.boolValue {
            report.errors.append("\(file): error: sounds: no such directory '\(sounds.path)'")
        }
        do {
            let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: baseDirectory)
            report.warnings = catalog.warnings.map(\.description)
        } catch {
            report.errors.append(contentsOf: error.lines)
        }
        report.summary = "\(configuration.campaigns.count) campaign(s), \(configuration.accessNumbers.count) access number(s), "
            + "\(configuration.trunks.count) trunk(s)"
        return report
    }
}
