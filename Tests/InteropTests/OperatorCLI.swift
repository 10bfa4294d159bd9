import Foundation
import XCTest

/// The operator's side of the interop tests: the built `switchback` binary's subcommands
/// (`rates`, `accounts`, `callers`, `cdr`) run against a data directory, and their output
/// read back the way the tests compare it.
enum OperatorCLI {
    /// Runs `switchback <arguments> --data-dir <data>`; a non-zero exit throws with the output.
    @discardableResult
    static func run(_ arguments: [String], data: URL) throws -> String {
        let result = try ChildProcess.run(InteropPaths.binary.path, arguments + ["--data-dir", data.path], timeout: 60)
        guard result.status == 0 else {
            throw ServerProcess.Failure("switchback \(arguments.joined(separator: " ")) failed (\(result.status)):\n\(result.output)")
        }
        return result.output
    }

    /// The nodes `switchback simulate` walks for `script` (a shipped one) with `arguments`,
    /// in order — the sequence a live call's `node-entered` events must show (what an
    /// admin simulates is what callers get). Each transcript line names the node it ran in
    /// (`[node] ...`): a new name is a node entered. A retry within a node (a wrong PIN,
    /// a collect's timeout: `[login] → pin rejected: login`) enters nothing, live or
    /// simulated. `start` must be where the transcript begins.
    static func simulatedNodes(script: String, start: String, arguments: [String]) throws -> [String] {
        let path = InteropPaths.packageRoot.appendingPathComponent("scripts/\(script).yaml").path
        let result = try ChildProcess.run(InteropPaths.binary.path, ["simulate", path] + arguments, timeout: 60)
        guard result.status == 0 else { throw ServerProcess.Failure("switchback simulate failed:\n\(result.output)") }
        var nodes: [String] = []
        for line in result.output.components(separatedBy: .newlines) where line.hasPrefix("[") {
            guard let close = line.firstIndex(of: "]") else { continue }
            let node = String(line[line.index(after: line.startIndex)..<close])
            if nodes.last != node { nodes.append(node) }
        }
        guard nodes.first == start else {
            throw ServerProcess.Failure("simulate began at \(nodes.first ?? "nothing"), not \(start):\n\(result.output)")
        }
        return nodes
    }

    /// Writes `deck` (CSV) next to the data directory as `<plan>.csv` and imports it as
    /// plan `plan` in EUR, charging the A leg.
    static func importRateDeck(_ deck: String, plan: String, data: URL) throws {
        let file = data.deletingLastPathComponent().appendingPathComponent("\(plan).csv")
        try deck.write(to: file, atomically: true, encoding: .utf8)
        try run(["rates", "import", plan, file.path, "--currency", "EUR", "--charge-a-leg"], data: data)
    }

    /// A fresh data directory (under a temporary directory named after `name`) with plan
    /// `card` from `deck` (A leg charged) and account alice: password 2468, PIN 123456,
    /// 10.0000 EUR on plan `card`.
    static func cardPlanWithAlice(deck: String, name: String) throws -> URL {
        let data = try InteropPaths.temporaryDirectory(name).appendingPathComponent("data")
        try importRateDeck(deck, plan: "card", data: data)
        try run(["accounts", "add", "alice", "--password", "2468", "--pin", "123456", "--balance", "10", "--plan", "card"],
                data: data)
        return data
    }

    /// `rates quote`: what the plan's rating makes of `seconds` answered on a leg to `to`.
    static func quote(plan: String, to: String, seconds: Int, leg: String, data: URL)
        throws -> (billedSeconds: String, cost: String) {
        let output = try run(["rates", "quote", "--plan", plan, "--to", to, "--seconds", "\(seconds)", "--leg", leg],
                             data: data)
        var billed = "", cost = ""
        for line in output.components(separatedBy: .newlines) {
            let value = line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            if line.hasPrefix("billed seconds:") { billed = value }
            // "0.0513 EUR": the amount as the CDR export writes it.
            if line.hasPrefix("cost:") { cost = value.split(separator: " ").first.map(String.init) ?? "" }
        }
        guard !billed.isEmpty, !cost.isEmpty else { throw ServerProcess.Failure("no quote in:\n\(output)") }
        return (billed, cost)
    }

    /// `cdr export` as one dictionary per row, by column name.
    static func cdrRows(_ data: URL) throws -> [[String: String]] {
        let lines = try run(["cdr", "export", "--format", "csv"], data: data)
            .components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard let header = lines.first?.components(separatedBy: ","), header.first == "id" else {
            throw ServerProcess.Failure("no CDR header in: \(lines)")
        }
        return lines.dropFirst().map { Dictionary(uniqueKeysWithValues: zip(header, $0.components(separatedBy: ","))) }
    }

    /// Seconds between a CDR row's answer and end, rounded as billing rounds them.
    static func talkSeconds(_ leg: [String: String]) throws -> Int {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let answer = try XCTUnwrap(formatter.date(from: leg["answer"] ?? ""), "answer \(leg["answer"] ?? "")")
        let end = try XCTUnwrap(formatter.date(from: leg["end"] ?? ""), "end \(leg["end"] ?? "")")
        return Int(end.timeIntervalSince(answer).rounded(.toNearestOrAwayFromZero))
    }

    /// `accounts show <login>`: balance, open calls and the ledger's call entries.
    static func show(_ login: String, data: URL) throws -> AccountView {
        var view = AccountView()
        for line in try run(["accounts", "show", login], data: data).components(separatedBy: .newlines) {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            if line.hasPrefix("balance:") { view.balance = fields.dropFirst().joined(separator: " ") }
            if line.hasPrefix("open calls:") { view.openCalls = fields.last ?? "" }
            if fields.count >= 4, fields[1] == "call" { view.callEntries.append(fields[2]) }
        }
        return view
    }
}

/// What `accounts show` says about an account, as text.
struct AccountView {
    var balance = ""
    var openCalls = ""
    /// Amounts of the ledger's `call` entries, oldest first.
    var callEntries: [String] = []
}
