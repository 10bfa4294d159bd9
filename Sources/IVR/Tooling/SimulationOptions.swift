import Foundation

/// What `switchback simulate` is told about the call and the fake services; builds the
/// `Simulator` for a script file. Kept here (not in the command) so tests run exactly
/// what the command runs.
public struct SimulationOptions: Sendable {
    public var ani = "4930123456"
    public var dnis = "1000"
    public var account: String?
    public var balance: Decimal = 10
    public var currency = "USD"
    public var pin = "123456"
    public var password = "1234"
    public var did: String?
    public var forward: String?
    public var aniRegistered = false
    public var sipAuthenticated = false
    public var ratePerMinute = Decimal(string: "0.10")!
    public var blockedPrefixes: [String] = []
    public var dialOutcomes: [DialOutcome] = []
    /// Wrong PINs/passwords in a row after which the fake answers `locked`.
    public var lockAfter = 5
    /// `$request.destinations` (and `$request.destination`, the first) of a web/SMS/API request.
    public var destinations: [String] = []
    public var startNode: String?
    public var answers: [String] = []

    public init() {}

    /// Loads the script and the scripts beside it (for `goto` and `callback`).
    public func simulator(for url: URL) throws -> Simulator {
        let script = try ScriptLoader.load(contentsOf: url)
        let library = ScriptLibrary.load(directory: url.deletingLastPathComponent()).0
        return simulator(for: script, library: library)
    }

    public func simulator(for script: IVRScript, library: ScriptLibrary = ScriptLibrary()) -> Simulator {
        var variables: [String: IVRValue] = [:]
        if !destinations.isEmpty {
            variables["request"] = .record(["destinations": .list(destinations.map(IVRValue.string)),
                                            "destination": .string(destinations[0])])
        }
        let fakeAccount = account.map {
            FakeServices.Account(login: $0, pin: pin, password: password, balance: balance, currency: currency,
                                 callerIDs: aniRegistered ? [ani] : [], did: did, sipAuthenticated: sipAuthenticated,
                                 forward: forward)
        }
        // A script run on a known account's leg gets the account bound from the start.
        let provided = script.inputs.contains { $0.value == "account" }
        if provided, let fakeAccount {
            variables["account"] = .record(["login": .string(fakeAccount.login), "balance": .number(fakeAccount.balance),
                                            "currency": .string(fakeAccount.currency)])
        }
        let services = FakeServices(account: fakeAccount, ratePerMinute: ratePerMinute, blockedPrefixes: blockedPrefixes,
                                    dialOutcomes: dialOutcomes, lockAfter: lockAfter, bound: provided ? fakeAccount : nil)
        return Simulator(script: script, context: CallContext(caller: ani, dnis: dnis, variables: variables),
                         services: services, answers: answers, library: library, startNode: startNode)
    }
}
