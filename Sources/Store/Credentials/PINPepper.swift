import Foundation

/// The server's PIN pepper: 32 random bytes in a file outside the database (by default
/// next to the data directory, `<data directory>.pin-pepper`, or `secrets.pin-pepper-file`),
/// created with mode 0600 on first start. A copy of the database without this file cannot
/// be searched for PINs (`PINHasher`).
public enum PINPepper {
    public static let byteCount = 32

    /// `<data directory>.pin-pepper`, the data directory's sibling.
    public static func defaultFile(forDataDirectory directory: URL) -> URL {
        let standard = directory.standardizedFileURL
        return standard.deletingLastPathComponent().appendingPathComponent("\(standard.lastPathComponent).pin-pepper")
    }

    public enum LoadError: Error, CustomStringConvertible {
        case unreadable(path: String, reason: String)
        case malformed(path: String)
        case tooOpen(path: String, mode: Int)

        public var description: String {
            switch self {
            case .unreadable(let path, let reason): return "PIN pepper \(path): \(reason)"
            case .malformed(let path): return "PIN pepper \(path): expected \(PINPepper.byteCount * 2) hex digits"
            case .tooOpen(let path, let mode):
                return "PIN pepper \(path): mode \(String(mode, radix: 8)) lets others read it (chmod 600 \(path))"
            }
        }
    }

    /// Reads the pepper at `url`, creating it (0600) when missing.
    public static func loadOrCreate(at url: URL) throws -> [UInt8] {
        let path = url.path
        let files = FileManager.default
        if !files.fileExists(atPath: path) {
            try? files.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            var generator = SystemRandomNumberGenerator()
            let bytes = (0..<byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let text = bytes.map { String(format: "%02x", $0) }.joined() + "\n"
            // Created 0600 from the start, never readable by others even for a moment.
            guard files.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                // Another process created it meanwhile: read theirs.
                if files.fileExists(atPath: path) { return try read(path) }
                throw LoadError.unreadable(path: path, reason: "cannot create the file")
            }
            return bytes
        }
        return try read(path)
    }

    static func read(_ path: String) throws -> [UInt8] {
        if let mode = (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            throw LoadError.tooOpen(path: path, mode: mode)
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw LoadError.unreadable(path: path, reason: "\(error.localizedDescription)")
        }
        guard text.count == byteCount * 2 else { throw LoadError.malformed(path: path) }
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { throw LoadError.malformed(path: path) }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
