import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An exclusive lock on a data directory, held by one `serve` for its whole life, so a
/// second server on the same database is refused instead of settling, recovering and
/// placing callbacks behind the first one's back.
///
/// It is a `flock` on `<dataDirectory>/serve.lock`: the kernel releases it when the process
/// dies, even by `kill -9`, so a stale file never blocks a restart. The file holds the
/// holder's pid, for the refusal's message.
public final class DataDirectoryLock: @unchecked Sendable {
    public static let fileName = "serve.lock"

    public let path: String
    private var descriptor: Int32

    /// Takes the lock, creating the directory and the file if needed.
    /// - Throws: `DataDirectoryLockError.held` when another process holds it.
    public init(dataDirectory: URL) throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        path = dataDirectory.appendingPathComponent(Self.fileName).path
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw DataDirectoryLockError.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let reason = errno
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?
                .trimmingCharacters(in: .whitespacesAndNewlines)
            close(descriptor)
            descriptor = -1
            if reason == EWOULDBLOCK {
                throw DataDirectoryLockError.held(directory: dataDirectory.path, pid: holder.flatMap { Int32($0) })
            }
            throw DataDirectoryLockError.cannotOpen(path: path, reason: String(cString: strerror(reason)))
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(descriptor, 0)
        _ = pid.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Gives the lock up (also done when the process exits).
    public func release() {
        guard descriptor >= 0 else { return }
        _ = flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

/// Why a data directory could not be locked.
public enum DataDirectoryLockError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Another process (a running `serve`) holds the lock.
    case held(directory: String, pid: Int32?)
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case let .held(directory, pid):
            let who = pid.map { "another switchback serve (pid \($0))" } ?? "another switchback serve"
            return "\(who) is already using the data directory \(directory); stop it first, or give this one "
                + "its own --data-dir"
        case let .cannotOpen(path, reason):
            return "cannot lock \(path): \(reason)"
        }
    }
}
