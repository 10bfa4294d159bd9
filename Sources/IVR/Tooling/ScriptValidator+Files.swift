import Foundation

/// Validating files as `switchback validate FILE...` does.
extension ScriptValidator {
    /// Validates each file with the prompts under `soundsRoot` (nil: the `sounds` directory
    /// next to the file's directory or in the current one, if any) and the scripts of the
    /// file's own directory as the library for `goto`/`callback`.
    public static func validateFiles(_ urls: [URL], soundsRoot: URL? = nil, scriptsDirectory: URL? = nil) -> [Diagnostic] {
        var catalogs: [String: PromptCatalog] = [:]
        var libraries: [String: ScriptLibrary] = [:]
        var diagnostics: [Diagnostic] = []
        for url in urls {
            let root = soundsRoot ?? defaultSoundsRoot(for: url)
            let catalog = root.map { root -> PromptCatalog in
                if let cached = catalogs[root.path] { return cached }
                let scanned = PromptCatalog.scan(soundsRoot: root)
                catalogs[root.path] = scanned
                return scanned
            }
            let directory = scriptsDirectory ?? url.deletingLastPathComponent()
            let library = libraries[directory.path] ?? ScriptLibrary.load(directory: directory).0
            libraries[directory.path] = library
            diagnostics += ScriptValidator(promptCatalog: catalog, library: library).validate(contentsOf: url)
        }
        return diagnostics
    }

    /// `<dir>/../sounds` for a script in `<dir>`, else `./sounds`, when it exists.
    public static func defaultSoundsRoot(for script: URL) -> URL? {
        let candidates = [
            script.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sounds"),
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("sounds"),
        ]
        var isDirectory: ObjCBool = false
        return candidates.first { FileManager.default.fileExists(atPath: $0.path, isDirectory: &isDirectory) && isDirectory.boolValue }
    }
}
