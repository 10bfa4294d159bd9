import Foundation
import XCTest

/// The real `switchback serve` binary, on ephemeral loopback ports, logging JSON that
/// the tests read to see what the server saw (digits, collected values, hangups).
final class ServerProcess {
    let process = Process()
    private let logs = LineCollector()
    private(set) var udpPort = 0
    private(set) var tcpPort = 0
    private(set) var httpPort = 0
    let directory: URL
    /// The `--config` file; tests may rewrite it (`writeConfig`) before a reload.
    let configURL: URL
    /// The `--data-dir` (SQLite); pass it to a later server to restart on the same data.
    let dataDirectory: URL
    /// `media.rtp-ports` and more `sip:` lines of every config written.
    private var rtpPorts = "42000-42999"
    private var sipYAML = ""
    private var mediaYAML = ""

    /// - Parameters:
    ///   - accessNumbersYAML: extra YAML under `access-numbers:` (the demo's 100 is always there).
    ///   - campaignsYAML: extra YAML under `campaigns:` (the demo campaign is always there).
    ///   - extraYAML: more top-level sections, e.g. `http: { admin-token: x }`.
    ///   - httpListen: `--http-listen`; port 0 picks a free port, read back from the log.
    ///   - dataDirectory: `--data-dir`; default: a fresh `data` directory of this server.
    ///   - logLevel: `--log-level`; debug (the default here) logs every call step the tests read.
    ///   - rtpPorts: `media.rtp-ports`.
    ///   - sipYAML: more `sip:` settings, one per line (e.g. `tcp-max-connections: 10`).
    ///   - mediaYAML: more `media:` settings, flow style (e.g. `rtp-timeout: 5s`).
    init(accessNumbersYAML: String = "", campaignsYAML: String = "", extraYAML: String = "",
         httpListen: String = "127.0.0.1:0", name: String = "server", dataDirectory: URL? = nil,
         logLevel: String = "debug", rtpPorts: String = "42000-42999", sipYAML: String = "",
         mediaYAML: String = "") throws {
        self.rtpPorts = rtpPorts
        self.mediaYAML = mediaYAML
        self.sipYAML = sipYAML
        directory = try InteropPaths.temporaryDirectory(name)
        configURL = directory.appendingPathComponent("switchback.yaml")
        self.dataDirectory = dataDirectory ?? directory.appendingPathComponent("data")
        try writeConfig(accessNumbersYAML: accessNumbersYAML, campaignsYAML: campaignsYAML, extraYAML: extraYAML)
        process.executableURL = InteropPaths.binary
        process.arguments = ["serve", "--config", configURL.path, "--http-listen", httpListen,
                             "--data-dir", self.dataDirectory.path, "--log-format", "json", "--log-level", logLevel]
        try start()
    }

    /// Another binary (the packaged one) with its own command line, which must include
    /// `--log-format json` and loopback listen addresses; run in `directory`.
    init(executable: URL, arguments: [String], directory: URL, configURL: URL, dataDirectory: URL) throws {
        self.directory = directory
        self.configURL = configURL
        self.dataDirectory = dataDirectory
        process.executableURL = executable
        process.arguments = arguments
        try start()
    }

    private func start() throws {
        process.currentDirectoryURL = directory
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        let logs = self.logs
        pipe.fileHandleForReading.readabilityHandler = { handle in logs.collect { handle.availableData } }
        logPipe = pipe.fileHandleForReading.fileDescriptor
        let executable = process.executableURL ?? InteropPaths.binary
        guard FileManager.default.isExecutableFile(atPath: executable.path) else {
            throw Failure("no switchback binary at \(executable.path): run `swift build` first")
        }
        try process.run()
        let listening = try waitForEvents(count: 2, timeout: 20) { $0["message"] == "SIP listening" }
        for event in listening {
            let listen = event["listen"] ?? ""
            let port = Int(listen.split(separator: ":").last ?? "") ?? 0
            if listen.hasPrefix("udp:") { udpPort = port } else if listen.hasPrefix("tcp:") { tcpPort = port }
        }
        guard udpPort > 0, tcpPort > 0 else { throw Failure("server did not report its ports: \(listening)") }
        let http = try waitForEvents(timeout: 20) { $0["message"] == "HTTP listening" }
        httpPort = Int(http[0]["listen"]?.split(separator: ":").last ?? "") ?? 0
        guard httpPort > 0 else { throw Failure("server did not report its HTTP port: \(http)") }
    }

    /// Writes the configuration file: the demo campaign and access number 100, plus the extras.
    func writeConfig(accessNumbersYAML: String = "", campaignsYAML: String = "", extraYAML: String = "") throws {
        let root = InteropPaths.packageRoot.path
        // SWITCHBACK_TEST_SIP_EVENT_LOOPS=N runs every server of the suite on N SIP loops
        // (a test that sets `event-loops` itself keeps its own).
        var sipYAML = self.sipYAML
        if let loops = ProcessInfo.processInfo.environment["SWITCHBACK_TEST_SIP_EVENT_LOOPS"], !sipYAML.contains("event-loops") {
            sipYAML += "\nevent-loops: \(loops)"
        }
        let config = """
        sip:
          listen: [udp:127.0.0.1:0, tcp:127.0.0.1:0]
        \(sipYAML.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n"))
        media: { rtp-ports: \(rtpPorts), bind: 127.0.0.1\(mediaYAML.isEmpty ? "" : ", " + mediaYAML) }
        sounds: \(root)/sounds
        \(extraYAML)
        campaigns:
          demo: { script: \(root)/scripts/demo.yaml }
        \(campaignsYAML)
        access-numbers:
          "100": { campaign: demo }
        \(accessNumbersYAML)
        """
        try config.write(to: configURL, atomically: true, encoding: .utf8)
    }

    /// Sends a signal to the server (e.g. SIGHUP to reload).
    func signal(_ number: Int32) {
        kill(process.processIdentifier, number)
    }

    /// The admin API's base, e.g. `http://127.0.0.1:PORT`.
    var httpBase: URL { URL(string: "http://127.0.0.1:\(httpPort)")! }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// Every JSON log line so far, as flat string dictionaries: every line the server
    /// wrote before the call (it writes each with one write(2), before it answers).
    var events: [[String: String]] {
        catchUpWithLog()
        return logs.all.compactMap { line in
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
            return object.mapValues { "\($0)" }
        }
    }

    var rawLog: String { logs.all.joined(separator: "\n") }

    /// The read end of the server's stdout/stderr pipe (-1 before start).
    private var logPipe: Int32 = -1

    /// Waits (up to 2 s) until every byte in the server's log pipe has been collected. The
    /// pipe is read on another queue, so a line the server wrote before the answer a test
    /// has just received may not have been read back yet: reading `events` at once could
    /// miss it (the cause of two flaky failures).
    private func catchUpWithLog() {
        guard logPipe >= 0 else { return }
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline {
            var unread: Int32 = 0
            if ioctl(logPipe, UInt(FIONREAD), &unread) != 0 { return }
            if unread == 0, !logs.isReading { return }
            Thread.sleep(forTimeInterval: 0.002)
        }
    }

    func events(where predicate: ([String: String]) -> Bool) -> [[String: String]] {
        events.filter(predicate)
    }

    /// Waits (bounded) until `count` log events match.
    @discardableResult
    func waitForEvents(count: Int = 1, timeout: TimeInterval, where predicate: ([String: String]) -> Bool) throws -> [[String: String]] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = events(where: predicate)
            if found.count >= count { return found }
            if !process.isRunning { throw Failure("server exited (status \(process.terminationStatus)):\n\(rawLog)") }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw Failure("timed out after \(timeout)s waiting for \(count) matching log events; log:\n\(rawLog.suffix(4000))")
    }

    var isRunning: Bool { process.isRunning }

    /// `kill -9`: the process dies at once, with no chance to settle calls or flush anything.
    func killHard() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
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
