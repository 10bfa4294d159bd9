import Foundation
import XCTest

/// What `switchback simulate` shows is what callers get (issue 12): each call's walk
/// through a shipped script's nodes in the server's log (`node-entered`, by call) against
/// the walk `simulate` prints for the same keys, the same account and the same start
/// (a callback leg starts at the node its request names).
enum ScriptParity {
    struct Walk {
        /// A shipped script (`scripts/<script>.yaml`).
        var script: String
        /// The node the call starts at: the script's start, or a callback's node (then
        /// `arguments` carries `--node` too).
        var start: String
        /// `simulate`'s options: `--account`, `--ani`, `--digits`, `--dial-outcome`...
        var arguments: [String]
        /// The live call ended where the simulation goes on (the caller hung up during a
        /// dial or a prompt): its walk must be where the simulation's began.
        var endsEarly = false
    }

    /// Each call's nodes in the order it entered them, calls in the order they began.
    static func liveWalks(_ server: ServerProcess) -> [[String]] {
        var order: [String] = []
        var walks: [String: [String]] = [:]
        for event in server.events(where: { $0["step"] == "node-entered" }) {
            let call = event["call-id"] ?? ""
            if walks[call] == nil { order.append(call) }
            walks[call, default: []].append(event["node"] ?? "")
        }
        return order.map { walks[$0] ?? [] }
    }

    /// The server's calls walked `walks`, one call each, in order, as `simulate` walks them.
    static func assertParity(_ server: ServerProcess, _ walks: [Walk], file: StaticString = #filePath,
                             line: UInt = #line) throws {
        let live = liveWalks(server)
        XCTAssertEqual(live.count, walks.count, "one walk per call; live: \(live)", file: file, line: line)
        for (index, (nodes, walk)) in zip(live, walks).enumerated() {
            let simulated = try OperatorCLI.simulatedNodes(script: walk.script, start: walk.start, arguments: walk.arguments)
            let compared = walk.endsEarly ? Array(simulated.prefix(nodes.count)) : simulated
            XCTAssertFalse(nodes.isEmpty, "call \(index + 1) entered no node", file: file, line: line)
            XCTAssertEqual(nodes, compared, "call \(index + 1) (\(walk.script) from \(walk.start)): the live call and "
                           + "`simulate \(walk.arguments.joined(separator: " "))` part ways; simulated \(simulated)",
                           file: file, line: line)
        }
    }

    /// What `simulate` says a trigger call does where the server does not run the script
    /// on it (`callback: always`, a personal DID): the router walks the script to its
    /// `callback` verb without tracing nodes (TriggerScriptRun), refuses the call and
    /// queues the callback at the verb's script and node. The caller gets the hang-up
    /// cause and a callback leg starting at `node`, which the tests compare live.
    struct Trigger {
        var script: String?
        var node: String?
        var hangup: String?
    }

    static func simulatedTrigger(script: String, arguments: [String]) throws -> Trigger {
        let path = InteropPaths.packageRoot.appendingPathComponent("scripts/\(script).yaml").path
        let result = try ChildProcess.run(InteropPaths.binary.path, ["simulate", path] + arguments, timeout: 60)
        guard result.status == 0 else { throw ServerProcess.Failure("switchback simulate failed:\n\(result.output)") }
        var trigger = Trigger()
        func value(_ name: String, in line: String) -> String? {
            guard let range = line.range(of: " \(name)=") else { return nil }
            return String(line[range.upperBound...].prefix { $0 != " " })
        }
        for line in result.output.components(separatedBy: .newlines) {
            if line.contains("] callback ") {
                trigger.script = value("script", in: line)
                trigger.node = value("node", in: line)
            }
            if let range = line.range(of: "] hangup: ") { trigger.hangup = String(line[range.upperBound...]) }
        }
        return trigger
    }
}
