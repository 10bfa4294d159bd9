import Foundation
import XCTest

/// Where things are: the package root, fixtures, and the built `switchback` binary.
enum InteropPaths {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var fixtures: URL { Bundle.module.resourceURL!.appendingPathComponent("Fixtures") }

    /// The executable built next to this test bundle (same build directory).
    static var binary: URL {
        let sibling = Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("switchback")
        if FileManager.default.isExecutableFile(atPath: sibling.path) { return sibling }
        return packageRoot.appendingPathComponent(".build/debug/switchback")
    }

    static func temporaryDirectory(_ name: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchback-\(name)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// A peer program the interop tests need. Missing means failing, with how to install it.
enum Peer {
    static func require(_ tool: String, package: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        for directory in ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin"] {
            let path = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let message = "\(tool) is not installed: run `apt-get install -y \(package)` (or ./test.sh, which installs every peer)"
        XCTFail(message, file: file, line: line)
        throw PeerMissing(message: message)
    }

    struct PeerMissing: Error, CustomStringConvertible {
        let message: String
        var description: String { message }
    }
}

/// Thread-safe line collector for a child's output.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    private var partial = Data()
    private var reading = false

    /// Reads with `read` (a pipe's `availableData`) and appends what it gave; while it
    /// runs, `isReading` is true, so a reader waiting for the pipe to be drained does not
    /// take bytes already read from the pipe but not yet appended for bytes never written.
    func collect(_ read: () -> Data) {
        lock.withLock { reading = true }
        let data = read()
        append(data)
        lock.withLock { reading = false }
    }

    var isReading: Bool { lock.withLock { reading } }

    func append(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        partial.append(data)
        while let newline = partial.firstIndex(of: 0x0A) {
            lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
            partial.removeSubrange(partial.startIndex...newline)
        }
    }

    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return lines
    }
}

/// Result of running a child process to its end (bounded).
struct ProcessResult {
    var status: Int32
    var output: String
}

enum ChildProcess {
    /// Runs a program with a hard time limit; kills it if the limit passes.
    static func run(_ executable: String, _ arguments: [String], in directory: URL? = nil, timeout: TimeInterval) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        let collected = LineCollector()
        output.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning {
            process.terminate()
            Thread.sleep(forTimeInterval: 0.5)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        output.fileHandleForReading.readabilityHandler = nil
        collected.append(output.fileHandleForReading.readDataToEndOfFile())
        collected.append(Data([0x0A]))
        return ProcessResult(status: process.terminationStatus, output: collected.all.joined(separator: "\n"))
    }
}
