import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A throwaway PostgreSQL server for tests: Debian's `initdb` in a temporary directory
/// (trust authentication, superuser `postgres`), listening on 127.0.0.1 on a free port
/// with its unix socket in that directory, started with `pg_ctl` and stopped and removed
/// when the test process exits. One server per test process (`shared()`); each test asks
/// for a database of its own (`createDatabase`).
///
/// `initdb` refuses to run as root (CI runs as root), so then the server's programs run as
/// the Debian `postgres` user (`runuser -u postgres --`) and the directory is given to it.
/// A missing program fails with the package to install; nothing is skipped.
public final class PostgresTestServer: @unchecked Sendable {
    public let host = "127.0.0.1"
    public let port: Int
    /// The superuser, with no password (trust authentication on loopback).
    public let user = "postgres"
    /// The temporary directory: `data/` (the cluster), the socket, the server log.
    public let directory: URL
    private let binaries: URL
    private let lock = NSLock()
    private var stopped = false
    private var databaseCounter = 0

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Prefix of the temporary directories, so a later run can find those a crashed one left.
    static let directoryPrefix = "switchback-pg-"

    private nonisolated(unsafe) static var sharedServer: PostgresTestServer?
    private nonisolated(unsafe) static var sharedFailure: Failure?
    private static let sharedLock = NSLock()

    /// The process's server, started on first use and stopped when the process exits.
    public static func shared() throws -> PostgresTestServer {
        sharedLock.lock()
        defer { sharedLock.unlock() }
        if let sharedServer { return sharedServer }
        if let sharedFailure { throw sharedFailure }
        do {
            let server = try PostgresTestServer()
            sharedServer = server
            atexit { PostgresTestServer.stopSharedAtExit() }
            return server
        } catch let failure as Failure {
            sharedFailure = failure
            throw failure
        }
    }

    private static func stopSharedAtExit() {
        sharedServer?.stop()
    }

    /// Starts a new server (prefer `shared()`); call `stop()` when done.
    public init() throws {
        binaries = try Self.findBinaries()
        Self.removeStaleServers(binaries: binaries)
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(Self.directoryPrefix)\(getpid())-\(UUID().uuidString.prefix(8))", isDirectory: true)
        port = try Self.freePort()
        let files = FileManager.default
        try files.createDirectory(at: directory, withIntermediateDirectories: true)
        // Whose server this is: a later run removes it once this process is gone.
        try "\(getpid())\n".write(to: directory.appendingPathComponent("owner.pid"), atomically: true, encoding: .utf8)
        let runAsPostgres = geteuid() == 0
        if runAsPostgres { try Self.giveToPostgresUser(directory) }
        let data = directory.appendingPathComponent("data").path
        do {
            try run("initdb", ["-D", data, "-U", user, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
                    asPostgres: runAsPostgres)
            let options = [
                "-p \(port)", "-c listen_addresses=\(host)", "-k \(directory.path)",
                "-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=300",
            ].joined(separator: " ")
            try run("pg_ctl", ["-D", data, "-l", directory.appendingPathComponent("server.log").path, "-w", "-t", "60",
                               "-o", options, "start"], asPostgres: runAsPostgres)
        } catch {
            stop()
            throw error
        }
    }

    /// `postgresql://postgres@127.0.0.1:<port>/<database>`.
    public func url(database: String) -> String {
        "postgresql://\(user)@\(host):\(port)/\(database)"
    }

    /// Creates an empty database (or a copy of `template`) and returns its name.
    @discardableResult
    public func createDatabase(named name: String? = nil, template: String? = nil) throws -> String {
        let chosen: String
        if let name {
            chosen = name
        } else {
            lock.lock()
            databaseCounter += 1
            chosen = "test_\(databaseCounter)"
            lock.unlock()
        }
        var arguments = ["-h", host, "-p", String(port), "-U", user]
        if let template { arguments += ["-T", template] }
        try run("createdb", arguments + [chosen], asPostgres: false)
        return chosen
    }

    /// Runs SQL with `psql` (for setup the store itself does not do), returning its output.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") throws -> String {
        try run("psql", ["-h", host, "-p", String(port), "-U", user, "-d", database, "-v", "ON_ERROR_STOP=1",
                         "-X", "-q", "-A", "-t", "-c", sql], asPostgres: false)
    }

    /// Stops the server (immediately: test data need no clean shutdown) and removes its directory.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard !stopped else { return }
        stopped = true
        Self.stopCluster(at: directory, binaries: binaries)
    }

    // MARK: - Helpers

    private static func stopCluster(at directory: URL, binaries: URL) {
        let data = directory.appendingPathComponent("data")
        if FileManager.default.fileExists(atPath: data.appendingPathComponent("postmaster.pid").path) {
            _ = try? runProgram(binaries.appendingPathComponent("pg_ctl").path,
                                ["-D", data.path, "-m", "immediate", "-w", "-t", "30", "stop"],
                                asPostgres: geteuid() == 0, scratch: nil)
        }
        // The server's last children may still be writing as they exit: try a few times.
        for _ in 0..<20 {
            do {
                try FileManager.default.removeItem(at: directory)
                return
            } catch {
                if !FileManager.default.fileExists(atPath: directory.path) { return }
                usleep(100_000)
            }
        }
    }

    /// Servers left by test processes that died (a crash skips the exit hook).
    private static func removeStaleServers(binaries: URL) {
        let temporary = FileManager.default.temporaryDirectory
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix(directoryPrefix) {
            let directory = temporary.appendingPathComponent(name, isDirectory: true)
            let pidFile = directory.appendingPathComponent("owner.pid")
            guard let text = try? String(contentsOf: pidFile, encoding: .utf8),
                  let owner = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { continue }
            if kill(owner, 0) == 0 || errno == EPERM { continue }   // its owner still runs
            stopCluster(at: directory, binaries: binaries)
        }
    }

    /// The newest Debian PostgreSQL's programs (`/usr/lib/postgresql/<version>/bin`).
    static func findBinaries() throws -> URL {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .filter { FileManager.default.isExecutableFile(atPath: "\(root)/\($0)/bin/initdb") }
            .sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
        guard let newest = versions.last else {
            throw Failure(description: "PostgreSQL's initdb/pg_ctl not found under \(root)/*/bin: install it: apt-get install postgresql")
        }
        return URL(fileURLWithPath: "\(root)/\(newest)/bin", isDirectory: true)
    }

    private static func giveToPostgresUser(_ directory: URL) throws {
        guard let entry = getpwnam("postgres") else {
            throw Failure(description: "running as root, the test PostgreSQL needs the Debian user \"postgres\" "
                          + "(initdb refuses root): install it: apt-get install postgresql")
        }
        let files = FileManager.default
        try files.setAttributes([.ownerAccountID: entry.pointee.pw_uid, .groupOwnerAccountID: entry.pointee.pw_gid],
                                ofItemAtPath: directory.path)
        try files.setAttributes([.ownerAccountID: entry.pointee.pw_uid, .groupOwnerAccountID: entry.pointee.pw_gid],
                                ofItemAtPath: directory.appendingPathComponent("owner.pid").path)
        try files.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
    }

    /// A port nobody listens on now (the kernel's pick for port 0).
    public static func freePort() throws -> Int {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket(): errno \(errno)") }
        defer { close(socketFD) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketFD, $0, length) == 0
                && getsockname(socketFD, $0, &length) == 0 }
        }
        guard bound else { throw Failure(description: "cannot find a free port on 127.0.0.1: errno \(errno)") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @discardableResult
    private func run(_ program: String, _ arguments: [String], asPostgres: Bool) throws -> String {
        let path = binaries.appendingPathComponent(program).path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "\(path) not found: install it: apt-get install postgresql")
        }
        return try Self.runProgram(path, arguments, asPostgres: asPostgres, scratch: directory)
    }

    /// Runs a program to its end, its output in a file (a pipe would keep `pg_ctl start`
    /// waiting on the server it leaves running); a non-zero exit throws with that output.
    /// posix_spawn and waitpid rather than Foundation's Process, whose waitUntilExit can
    /// wait forever when the program leaves a daemon behind (`pg_ctl start`).
    @discardableResult
    private static func runProgram(_ path: String, _ arguments: [String], asPostgres: Bool, scratch: URL?) throws -> String {
        let outputFile = (scratch ?? FileManager.default.temporaryDirectory)
            .appendingPathComponent("output-\(UUID().uuidString.prefix(8)).txt")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let argv = asPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] + arguments : [path] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var cArguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ)
        guard spawned == 0 else {
            throw Failure(description: "cannot run \(argv[0]): \(String(cString: strerror(spawned))): install it: apt-get install postgresql")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        // WIFEXITED and WEXITSTATUS by hand: Glibc's macros are not imported.
        let exited = status & 0x7f == 0
        let code = (status >> 8) & 0xff
        guard exited && code == 0 else {
            let how = exited ? "exited with \(code)" : "was killed by signal \(status & 0x7f)"
            throw Failure(description: "\(URL(fileURLWithPath: path).lastPathComponent) \(arguments.joined(separator: " ")) "
                          + "\(how): \(text)")
        }
        return text
    }
}
