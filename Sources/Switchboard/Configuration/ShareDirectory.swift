import Foundation

/// Where the shipped scripts, prompts and schemas live: `/usr/share/switchback` when
/// installed from the package, the checkout when run from one. The embedded defaults'
/// campaigns and sounds resolve here, so a configuration that names only its trunks
/// starts (issue 18); paths a configuration file gives itself start at that file's
/// directory as before.
public enum ShareDirectory {
    /// A directory is a share directory when it holds the demo script and the schemas.
    public static func isShareDirectory(_ url: URL) -> Bool {
        let manager = FileManager.default
        return manager.fileExists(atPath: url.appendingPathComponent("scripts/demo.yaml").path)
            && manager.fileExists(atPath: url.appendingPathComponent("schemas/ivr-script.schema.json").path)
    }

    /// The share directory, first found of:
    /// 1. `explicit` (`--share-dir`) or `SWITCHBACK_SHARE_DIR`, taken as given;
    /// 2. `<prefix>/share/switchback` beside the executable's `<prefix>/bin` (the package);
    /// 3. the checkout the executable was built in (`.build/<config>/switchback`): the first
    ///    directory above it that is a share directory;
    /// 4. the working directory.
    public static func locate(explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment,
                              executable: URL? = currentExecutable(),
                              workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        -> URL {
        if let given = explicit ?? environment["SWITCHBACK_SHARE_DIR"], !given.isEmpty {
            return URL(fileURLWithPath: given, isDirectory: true, relativeTo: workingDirectory).standardizedFileURL
        }
        if let executable {
            let binDirectory = executable.deletingLastPathComponent()
            let installed = binDirectory.deletingLastPathComponent().appendingPathComponent("share/switchback", isDirectory: true)
            if isShareDirectory(installed) { return installed.standardizedFileURL }
            var directory = binDirectory
            while directory.path != "/" && !directory.path.isEmpty {
                if isShareDirectory(directory) { return directory.standardizedFileURL }
                directory = directory.deletingLastPathComponent()
            }
        }
        return workingDirectory.standardizedFileURL
    }

    /// This process's executable, symbolic links resolved (`/proc/self/exe` on Linux).
    public static func currentExecutable() -> URL? {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: path)
        }
        #endif
        return Bundle.main.executableURL?.resolvingSymlinksInPath()
    }
}
