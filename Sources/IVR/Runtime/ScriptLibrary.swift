import Foundation

/// The loaded scripts by name, for `goto` with `script:` and for `validate`'s checks of
/// references between scripts. Immutable: a reload builds a new library and calls in
/// progress keep the one they started with.
public struct ScriptLibrary: Sendable {
    public private(set) var scripts: [String: IVRScript]

    public init(_ scripts: [IVRScript] = []) {
        self.scripts = Dictionary(scripts.map { ($0.name.value, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func script(named name: String) -> IVRScript? { scripts[name] }

    public var names: [String] { scripts.keys.sorted() }

    /// Loads every `*.yaml` of a directory; scripts that fail to load are left out and
    /// their diagnostics returned.
    public static func load(directory: URL) -> (ScriptLibrary, [Diagnostic]) {
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        var scripts: [IVRScript] = []
        var diagnostics: [Diagnostic] = []
        for file in files {
            let url = directory.appendingPathComponent(file)
            do {
                let text = try ScriptLoader.readText(url)
                let (script, found) = ScriptLoader.parse(yaml: text, file: url.path)
                diagnostics += found
                if let script, !found.contains(where: { $0.severity == .error }) { scripts.append(script) }
            } catch let error as ScriptError {
                diagnostics.append(Diagnostic(error))
            } catch {
                diagnostics.append(Diagnostic(.error, "\(error)", at: SourceLocation(file: url.path, line: 1, column: 1)))
            }
        }
        return (ScriptLibrary(scripts), diagnostics)
    }
}
