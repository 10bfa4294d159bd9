import Foundation

/// One prompt to play: the file `sounds/<language>/<name>.wav` (any format libsndfile
/// reads; the media layer resolves the extension).
public struct PromptRef: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var language: String

    public init(name: String, language: String) {
        self.name = name
        self.language = language
    }

    /// The path below the sounds root: `en/welcome.wav`.
    public var relativePath: String { "\(language)/\(name).wav" }

    public var description: String { "\(language)/\(name)" }
}
