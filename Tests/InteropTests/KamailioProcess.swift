import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Debian's Kamailio running the shipped `deploy/kamailio/kamailio.cfg` in the
/// foreground (`-DD -E`), on a loopback port, with its dispatcher list, runtime
/// directory and control socket in a temporary directory: nothing of the system's
/// Kamailio is used or touched. Stopped by its PID.
final class KamailioProcess {
    let process = Process()
    let directory: URL
    let port: Int
    private let logs = LineCollector()

    /// - Parameters:
    ///   - nodes: the `switchback serve` nodes' UDP ports (dispatcher set 1).
    ///   - pingInterval: seconds between OPTIONS probes of the nodes.
    ///   - defines: more `-A NAME=VALUE` defines of the configuration (PIKE_DENSITY, INVITE_PIPE...).
    init(nodes: [Int], name: String = "kamailio", pingInterval: Int = 1, defines: [String: String] = [:]) throws {
        let executable = try Peer.require("kamailio", package: "kamailio")
        directory = try InteropPaths.temporaryDirectory(name)
        port = CallbackEndToEndTests.freePorts().sip
        let list = directory.appendingPathComponent("dispatcher.list")
        try (nodes.map { "1 sip:127.0.0.1:\($0) 0 0" }.joined(separator: "\n") + "\n")
            .write(to: list, atomically: true, encoding: .utf8)
        let config = InteropPaths.packageRoot.appendingPathComponent("deploy/kamailio/kamailio.cfg")
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-DD", "-E", "-f", config.path, "-Y", directory.path,
                             "-P", directory.appendingPathComponent("kamailio.pid").path, "-m", "64", "-M", "8",
                             "-A", "LISTEN=udp:127.0.0.1:\(port)",
                             "-A", "DISPATCHER_LIST=\"\(list.path)\"",
                             "-A", "CTL_SOCKET=\"unix:\(directory.appendingPathComponent("kamailio_ctl").path)\"",
                             "-A", "PING_INTERVAL=\(pingInterval)", "-A", "FR_TIMER=2000"]
            + defines.sorted { $0.key < $1.key }.flatMap { ["-A", "\($0.key)=\($0.value)"] }
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let logs = self.logs
        pipe.fileHandleForReading.readabilityHandler = { handle in logs.append(handle.availableData) }
        try process.run()
        try waitForLog(timeout: 15) { $0.contains("udp: 127.0.0.1 [127.0.0.1]:\(port)") }
        // The first probes out before the first call (nodes start active either way).
        Thread.sleep(forTimeInterval: Double(min(pingInterval, 1)) + 0.5)
        guard process.isRunning else { throw ServerProcess.Failure("kamailio exited:\n\(rawLog)") }
    }

    var rawLog: String { logs.all.joined(separator: "\n") }

    var lines: [String] { logs.all }

    /// Waits (bounded) until a log line matches.
    @discardableResult
    func waitForLog(timeout: TimeInterval, where predicate: (String) -> Bool) throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let line = logs.all.first(where: predicate) { return line }
            if !process.isRunning { throw ServerProcess.Failure("kamailio exited (status \(process.terminationStatus)):\n\(rawLog)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ServerProcess.Failure("timed out after \(timeout)s waiting for a kamailio log line; log:\n\(rawLog.suffix(4000))")
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}
