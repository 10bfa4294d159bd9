import IVR

/// Why the campaign scripts were refused: every error `ScriptValidator` found, each one
/// `file:line:column: error: message`, the form editors jump to. One error refuses the
/// whole catalog, so a start fails and a reload keeps the running catalog.
public struct ScriptCatalogError: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [Diagnostic]

    public init(diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics
    }

    /// The diagnostics as lines.
    public var lines: [String] { diagnostics.map(\.description) }

    public var description: String { lines.joined(separator: "\n") }
}
