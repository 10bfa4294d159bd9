import Foundation

/// tools/udp-loss-relay.py as a running peer: a UDP path that drops and delays datagrams
/// both ways, between a client (sipp) and the server, with its counts read back at the end.
final class LossRelay {
    let port: Int
    private let statsFile: URL

    /// Counts of one direction, as the relay reports them.
    struct Direction: Decodable, CustomStringConvertible {
        var received: Int
        var dropped: Int
        var forwarded: Int
        /// Datagrams whose exact bytes had passed before in that direction: retransmissions.
        var repeats: Int
        var description: String { "received \(received), dropped \(dropped), forwarded \(forwarded), repeats \(repeats)" }
    }

    struct Stats: Decodable {
        var toTarget: Direction
        var toClient: Direction
        enum CodingKeys: String, CodingKey {
            case toTarget = "to-target"
            case toClient = "to-client"
        }
    }

    /// Starts the relay on a free loopback port towards `target` (`host:port`).
    init(target: String, lossPercent: Double, delayMilliseconds: Int, jitterMilliseconds: Int, seed: Int, name: String) throws {
        let python = try Peer.require("python3", package: "python3")
        let work = try InteropPaths.temporaryDirectory(name)
        statsFile = work.appendingPathComponent("stats.json")
        let ready = work.appendingPathComponent("ready")
        let script = InteropPaths.packageRoot.appendingPathComponent("tools/udp-loss-relay.py").path
        var chosen = 0
        for attempt in 0..<5 {
            let candidate = 39000 + Int.random(in: 0..<900)
            let relay = Process()
            relay.executableURL = URL(fileURLWithPath: python)
            relay.arguments = [script, "--listen", "127.0.0.1:\(candidate)", "--target", target, "--loss", "\(lossPercent)",
                               "--delay-ms", "\(delayMilliseconds)", "--jitter-ms", "\(jitterMilliseconds)",
                               "--seed", "\(seed)", "--stats", statsFile.path, "--ready", ready.path]
            relay.standardOutput = FileHandle.nullDevice
            relay.standardError = FileHandle.nullDevice
            try relay.run()
            let deadline = Date().addingTimeInterval(10)
            while relay.isRunning && !FileManager.default.fileExists(atPath: ready.path) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.05)
            }
            if FileManager.default.fileExists(atPath: ready.path) {
                chosen = candidate
                relayProcess = relay
                break
            }
            if relay.isRunning { relay.terminate() }
            relay.waitUntilExit()
            if attempt == 4 { throw ServerProcess.Failure("udp-loss-relay.py did not start listening (tried 5 ports)") }
        }
        port = chosen
    }

    private var relayProcess: Process?

    /// Stops the relay and returns its final counts.
    func stop() throws -> Stats {
        guard let relay = relayProcess else { throw ServerProcess.Failure("the relay never started") }
        if relay.isRunning {
            relay.terminate()
            relay.waitUntilExit()
        }
        relayProcess = nil
        let data = try Data(contentsOf: statsFile)
        return try JSONDecoder().decode(Stats.self, from: data)
    }

    deinit {
        if let relay = relayProcess, relay.isRunning { relay.terminate() }
    }
}
