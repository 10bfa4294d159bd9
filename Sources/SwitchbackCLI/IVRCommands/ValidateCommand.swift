import ArgumentParser
import Foundation
import IVR

/// `switchback validate FILE...`: schema and meaning errors of IVR scripts.
public struct ValidateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check IVR scripts: format, targets, reachability, prompts, loops, variables.",
        discussion: """
        Prints one line per finding as FILE:LINE:COLUMN: error: MESSAGE (or warning:), the form \
        editors jump to. Errors: the format of schemas/ivr-script.schema.json, unknown target \
        nodes, unreachable nodes, prompt files missing for the script's language (and its \
        fallback language), loops that never wait for the caller, variables read where no \
        path sets them, options out of range, goto/callback to unknown scripts. Warnings: \
        authentication that trusts the caller ID without a PIN, flows that end without a \
        hangup node. Exits 0 when there is no error, 1 otherwise.
        """)

    @Argument(help: "IVR script files (YAML).")
    public var files: [String]

    @Option(help: "The prompt directory holding <language>/<name>.wav (default: ../sounds next to each script, or ./sounds).")
    public var sounds: String?

    @Flag(help: "Count warnings as errors for the exit status.")
    public var strict = false

    public init() {}

    public func validate() throws {
        if files.isEmpty { throw ValidationError("Name at least one script file.") }
    }

    public func run() throws {
        let urls = files.map { URL(fileURLWithPath: $0) }
        let soundsRoot = sounds.map { URL(fileURLWithPath: $0) }
        if soundsRoot == nil, urls.contains(where: { ScriptValidator.defaultSoundsRoot(for: $0) == nil }) {
            FileHandle.standardError.write(Data("note: no sounds directory found; prompt files are not checked (use --sounds)\n".utf8))
        }
        let diagnostics = ScriptValidator.validateFiles(urls, soundsRoot: soundsRoot)
        for diagnostic in diagnostics { print(diagnostic) }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        FileHandle.standardError.write(Data("\(files.count) file(s): \(errors) error(s), \(warnings) warning(s)\n".utf8))
        if errors > 0 || (strict && warnings > 0) { throw ExitCode.failure }
    }
}
