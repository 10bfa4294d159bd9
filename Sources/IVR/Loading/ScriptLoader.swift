import Foundation
import Yams

/// Reads an IVR script (YAML) into an `IVRScript`, keeping every value's location.
///
/// `load` throws the first error; `parse` collects every error it can find (one per
/// broken node) for `validate`. Loading checks the shape of the document and that every
/// transition names an existing node; `ScriptValidator` checks the rest of its meaning.
public enum ScriptLoader {
    public static func load(contentsOf url: URL) throws -> IVRScript {
        let text = try readText(url)
        return try load(yaml: text, file: url.path)
    }

    public static func load(yaml: String, file: String) throws -> IVRScript {
        let (script, diagnostics) = parse(yaml: yaml, file: file)
        if let first = diagnostics.first(where: { $0.severity == .error }) {
            throw ScriptError(first.message, at: first.location)
        }
        guard let script else { throw ScriptError("the script could not be read", at: SourceLocation(file: file, line: 1, column: 1)) }
        return script
    }

    /// Reads a script file as UTF-8; a missing or undecodable file is a `ScriptError` at 1:1.
    public static func readText(_ url: URL) throws -> String {
        let origin = SourceLocation(file: url.path, line: 1, column: 1)
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw ScriptError("cannot read the file: \((error as NSError).localizedDescription)", at: origin)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ScriptError("the file is not UTF-8 text", at: origin)
        }
        return text
    }

    /// Parses without throwing: the script when its top level is usable, and every error found.
    ///
    /// - Parameter schemaOnly: make only the checks `schemas/ivr-script.schema.json` expresses
    ///   (shape, types, names, patterns), leaving out ranges, regular expressions,
    ///   expressions and node references. The schema agreement test compares this verdict
    ///   with the JSON Schema's; never use it to accept a script for calls.
    public static func parse(yaml: String, file: String, schemaOnly: Bool = false) -> (IVRScript?, [Diagnostic]) {
        var reader = ScriptReader(file: file, checkMeaning: !schemaOnly)
        let script = reader.read(yaml: yaml)
        return (script, reader.diagnostics)
    }

    public static let topLevelKeys = ["script", "description", "language", "fallback-language", "inputs", "start", "nodes"]
}
