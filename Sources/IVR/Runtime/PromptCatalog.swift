import Foundation

/// Which prompt files exist, per language, so a prompt missing in the script's language can
/// be played from its fallback language (issue 3, "Languages") and `validate` can report it.
public struct PromptCatalog: Sendable, Equatable {
    public var available: [String: Set<String>]

    public init(available: [String: Set<String>]) {
        self.available = available
    }

    public func contains(_ name: String, language: String) -> Bool {
        available[language]?.contains(name) ?? false
    }

    /// The languages present.
    public var languages: [String] { available.keys.sorted() }

    /// Lists `<root>/<language>/**/*.wav` (names without extension, subdirectories kept).
    public static func scan(soundsRoot root: URL) -> PromptCatalog {
        var available: [String: Set<String>] = [:]
        let manager = FileManager.default
        let languages = (try? manager.contentsOfDirectory(atPath: root.path)) ?? []
        for language in languages {
            let directory = root.appendingPathComponent(language)
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue,
                  let enumerator = manager.enumerator(atPath: directory.path) else { continue }
            var names: Set<String> = []
            for case let path as String in enumerator where path.hasSuffix(".wav") {
                names.insert(String(path.dropLast(4)))
            }
            available[language] = names
        }
        return PromptCatalog(available: available)
    }
}
