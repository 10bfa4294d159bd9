import ArgumentParser
import Foundation
import IVR

/// `switchback simulate SCRIPT ...`: runs a script with the live interpreter against fake
/// services and prints what the caller would hear and do.
public struct SimulateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run an IVR script offline and print a transcript of the call.",
        discussion: """
        The same interpreter as live calls runs the script. Every prompt plays to its end; each \
        --digits answers the next input request in order ('' or 'timeout' for silence; once \
        they are used up the caller is silent). Accounts, credit, balance, calls and callbacks \
        are answered by an in-memory fake: with --account there is one account (PIN --pin, \
        balance --balance) that the caller ID authenticates only with --ani-registered.

        Example: switchback simulate scripts/calling-card.yaml --ani 4930123 --account alice --digits 123456# --digits 111# --digits 4930999#
        """)

    @Argument(help: "The IVR script file (YAML).")
    public var script: String

    @Option(help: "The caller's number ($caller).")
    public var ani = "4930123456"

    @Option(help: "The number dialled ($dnis).")
    public var dnis = "1000"

    @Option(help: "A known account with this login.")
    public var account: String?

    @Option(help: "The account's balance, e.g. 12.50.")
    public var balance = "10.00"

    @Option(help: "The account's currency (ISO 4217).")
    public var currency = "USD"

    @Option(help: "The account's PIN.")
    public var pin = "123456"

    @Option(help: "The account's password (password authentication types LOGIN digits, then these).")
    public var password = "1234"

    @Option(help: "The account's personal DID (DID authentication).")
    public var did: String?

    @Option(help: "The account's forward number ($account.forward).")
    public var forward: String?

    @Flag(help: "The caller ID is registered to the account (ANI authentication succeeds).")
    public var aniRegistered = false

    @Flag(help: "The call carries valid SIP digest credentials of the account.")
    public var sipAuthenticated = false

    @Option(help: "Per-minute rate of every destination.")
    public var rate = "0.10"

    @Option(help: "A blocked destination prefix (repeatable).")
    public var blocked: [String] = []

    @Option(help: "How the next dial ends: ended, busy, no-answer, failed, out-of-credit (repeatable; default ended).")
    public var dialOutcome: [String] = []

    @Option(help: "Wrong PINs or passwords in a row after which the account is locked.")
    public var lockAfter = 5

    @Option(help: "A destination of the callback request ($request.destinations, repeatable).")
    public var destination: [String] = []

    @Option(help: "Start at this node (the node a callback runs) instead of the script's start.")
    public var node: String?

    @Option(help: "Keys for the next input request (repeatable, in order).")
    public var digits: [String] = []

    public init() {}

    public func validate() throws {
        guard IVRValue.parseDecimal(balance) != nil else { throw ValidationError("--balance must be a decimal amount such as 12.50, not '\(balance)'") }
        guard let rateValue = IVRValue.parseDecimal(rate), rateValue >= 0 else { throw ValidationError("--rate must be a decimal amount such as 0.05, not '\(rate)'") }
        guard lockAfter >= 1 else { throw ValidationError("--lock-after must be at least 1") }
        for outcome in dialOutcome where DialOutcome(rawValue: outcome) == nil {
            throw ValidationError("--dial-outcome must be one of \(DialOutcome.allCases.map(\.rawValue).joined(separator: ", ")), not '\(outcome)'")
        }
        for answer in digits where !answer.allSatisfy({ "0123456789*#ABCD".contains($0) }) && answer != "timeout" {
            throw ValidationError("--digits takes keys 0-9, *, #, A-D (or '' / timeout for silence), not '\(answer)'")
        }
    }

    public func run() throws {
        var options = SimulationOptions()
        options.ani = ani
        options.dnis = dnis
        options.account = account
        options.balance = IVRValue.parseDecimal(balance) ?? 0
        options.currency = currency
        options.pin = pin
        options.password = password
        options.did = did
        options.forward = forward
        options.aniRegistered = aniRegistered
        options.sipAuthenticated = sipAuthenticated
        options.ratePerMinute = IVRValue.parseDecimal(rate) ?? 0
        options.blockedPrefixes = blocked
        options.dialOutcomes = dialOutcome.compactMap(DialOutcome.init(rawValue:))
        options.lockAfter = lockAfter
        options.destinations = destination
        options.startNode = node
        options.answers = digits
        let simulator: Simulator
        do {
            simulator = try options.simulator(for: URL(fileURLWithPath: script))
        } catch let error as ScriptError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode.failure
        }
        let result = simulator.run()
        print(result.text, terminator: "")
        if !result.unusedAnswers.isEmpty {
            FileHandle.standardError.write(Data("note: \(result.unusedAnswers.count) --digits answer(s) were never asked for\n".utf8))
        }
    }
}
