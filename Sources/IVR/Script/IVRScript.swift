import Foundation

/// A loaded IVR script: the typed syntax tree of one YAML document (DESIGN.md, "The IVR
/// language"). Immutable and `Sendable`: a call keeps the version it started with even
/// when the file is reloaded.
public struct IVRScript: Sendable {
    /// The `script:` name; other scripts and campaigns refer to it.
    public var name: Located<String>
    public var description: String?
    /// Language of the prompts and of `say` (`en`, `de`, `es`).
    public var language: Located<String>
    /// Where a prompt missing in `language` is taken from.
    public var fallbackLanguage: Located<String>?
    /// Variables the edge provides beyond the predefined ones (`account` for scripts run
    /// on a callback leg of a known account, `request` for web/SMS/API requests).
    public var inputs: [Located<String>]
    /// The node the call starts at.
    public var start: Located<String>
    /// Nodes in the order they were written.
    public var nodes: [ScriptNode]
    /// The file the script was read from (as given to the loader).
    public var file: String

    public init(name: Located<String>, description: String? = nil, language: Located<String>,
                fallbackLanguage: Located<String>? = nil, inputs: [Located<String>] = [], start: Located<String>, nodes: [ScriptNode], file: String) {
        self.name = name
        self.description = description
        self.language = language
        self.fallbackLanguage = fallbackLanguage
        self.inputs = inputs
        self.start = start
        self.nodes = nodes
        self.file = file
        self.index = Dictionary(nodes.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
    }

    private var index: [String: Int]

    public func node(named name: String) -> ScriptNode? {
        index[name].map { nodes[$0] }
    }
}
