import ArgumentParser
import Billing
import Foundation
import Store

/// `switchback accounts …`: open, inspect, top up and lock prepaid accounts.
public struct AccountsCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Manage prepaid accounts: add, list, show, credit, debit, lock, unlock, forward, generate.",
        subcommands: [Add.self, List.self, Show.self, Credit.self, Debit.self, Lock.self, Unlock.self, Forward.self,
                      Generate.self]
    )

    public init() {}

    /// SIP realm used for HA1 unless `--realm` says otherwise (the config's `sip.domain`).
    static let defaultRealm = "switchback.local"
    static let defaultCurrency = "EUR"

    /// The currency of a new account: the plan's, else `--currency`, else EUR.
    static func currency(plan: String?, option: String?, store: any RateStore) throws -> String {
        if let plan {
            guard let record = try store.ratePlans().first(where: { $0.name == plan }) else {
                throw StoreError.unknownRatePlan(plan)
            }
            if let option, option != record.currency {
                throw OperatorCommandError("--currency \(option) differs from plan \(plan)'s currency \(record.currency)")
            }
            return record.currency
        }
        return option ?? defaultCurrency
    }

    public struct Add: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Open an account. Without --password one is generated and printed once.")

        @OptionGroup var data: DataOptions
        @Argument(help: "Login (letters, digits, '.', '_', '-', '@'); also the SIP user name.") var login: String
        @Option(help: "Password (web, SMS, SIP digest). Generated when omitted.") var password: String?
        @Option(help: "PIN of 6 to 12 digits (what the shipped scripts accept), unique across accounts.") var pin: String?
        @Option(help: "Initial balance, e.g. 10 or 12.3456.") var balance: String = "0"
        @Option(help: "Rate plan name (must exist: see `rates import`).") var plan: String?
        @Option(help: "Forward number, called when the user's SIP phone is not registered or does not answer (see --forward-mode).")
        var forward: String?
        @Option(name: .customLong("forward-mode"),
                help: "When the forward number rings: none, unregistered, no-answer (after --forward-after seconds), or fork (with the phone).")
        var forwardMode: ForwardMode = .default
        @Option(name: .customLong("forward-after"), help: "Seconds the phone rings before a no-answer forward (1-600).")
        var forwardAfter: Int = ForwardMode.defaultForwardAfterSeconds
        @Option(help: "Personal DID that triggers a callback to this account.") var did: String?
        @Option(help: "Currency code when no plan is given.") var currency: String?
        @Option(help: "SIP realm for the stored digest HA1.") var realm: String = AccountsCommand.defaultRealm
        @Option(name: .customLong("max-calls"), help: "Concurrent calls allowed (0 = no limit).") var maxCalls: Int = 0
        @Option(name: .customLong("daily-limit"), help: "Most the account may spend on calls per UTC day.") var dailyLimit: String?

        public init() {}

        public func validate() throws {
            if maxCalls < 0 { throw ValidationError("--max-calls must not be negative") }
            // Issue 11: short PINs are cheap to guess; the shipped scripts ask for 6..12 digits.
            if let pin, !(6...12).contains(pin.count) || !pin.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw ValidationError("--pin must be 6 to 12 digits (the shipped scripts' `pin: digits: 6..12`), got \(pin.count) characters")
            }
            if !(1...600).contains(forwardAfter) { throw ValidationError("--forward-after must be 1 to 600 seconds, got \(forwardAfter)") }
        }

        public func run() throws {
            let store = try data.openStore()
            let currency = try AccountsCommand.currency(plan: plan, option: self.currency, store: store)
            let generatedPassword = password == nil ? CredentialGenerator().password() : nil
            let account = try store.createAccount(NewAccount(
                login: login, password: password ?? generatedPassword!, pin: pin, sipRealm: realm,
                initialBalance: OperatorText.amount(balance, currency: currency, option: "--balance"),
                ratePlan: plan, forwardNumber: forward, personalDID: did, maxConcurrentCalls: maxCalls,
                dailySpendLimit: try dailyLimit.map { try OperatorText.amount($0, currency: currency, option: "--daily-limit") },
                forwardMode: forwardMode, forwardAfterSeconds: forwardAfter),
                at: Date())
            OperatorConsole.line("created account \(account.login): balance \(account.balance)")
            if let generatedPassword {
                OperatorConsole.line("password: \(generatedPassword)   (shown once; only a hash is stored)")
            }
        }
    }

    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "List accounts, optionally of one generated lot.")

        @OptionGroup var data: DataOptions
        @Option(help: "Only accounts of this lot.") var lot: String?

        public init() {}

        public func run() throws {
            let store = try data.openStore()
            let lots = Dictionary(uniqueKeysWithValues: try store.lots().compactMap { lot in lot.id.map { ($0, lot.name) } })
            let rows = try store.accounts(lot: lot).map { account in
                [account.login, account.state.rawValue, account.balance.amountString, account.currency,
                 account.ratePlan ?? "", account.forwardNumber ?? "",
                 account.forwardNumber == nil ? "" : AccountsCommand.forwardingSummary(account), account.personalDID ?? "",
                 account.lotID.flatMap { lots[$0] } ?? ""]
            }
            OperatorConsole.line(OperatorText.table(["LOGIN", "STATE", "BALANCE", "CUR", "PLAN", "FORWARD", "WHEN", "DID", "LOT"],
                                                    rows))
        }
    }

    public struct Show: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Show one account, its caller IDs, address book and ledger.")

        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String

        public init() {}

        public func run() throws {
            let store = try data.openStore()
            let account = try store.requireAccount(login)
            let id = account.id!
            let lines: [(String, String)] = [
                ("login", account.login),
                ("state", account.state.rawValue),
                ("balance", account.balance.description),
                ("free balance", try store.freeBalance(account: id).description),
                ("open calls", String(try store.openReservations(account: id).count)),
                ("rate plan", account.ratePlan ?? "-"),
                ("forward number", account.forwardNumber ?? "-"),
                ("forward mode", AccountsCommand.forwardingSummary(account)),
                ("personal DID", account.personalDID ?? "-"),
                ("PIN", account.pinHash == nil ? "not set" : "set"),
                ("SIP realm", account.sipRealm),
                ("max concurrent calls", account.maxConcurrentCalls == 0 ? "no limit" : String(account.maxConcurrentCalls)),
                ("daily spend limit", account.dailySpendLimit?.description ?? "no limit"),
                ("caller IDs", try store.callerIDs(account: id).map(\.number).joined(separator: ", ")),
                ("address book", try store.addressBook(account: id).map { "\($0.slot):\($0.name)=\($0.number)" }.joined(separator: ", ")),
                ("created", OperatorText.timestamp(account.createdAt)),
            ]
            for (name, value) in lines {
                OperatorConsole.line((name + ":").padding(toLength: 22, withPad: " ", startingAt: 0) + value)
            }
            OperatorConsole.line()
            OperatorConsole.line("ledger:")
            let rows = try store.ledger(account: id).map { entry in
                [OperatorText.timestamp(entry.createdAt), entry.kind.rawValue, entry.amount.amountString,
                 entry.balanceAfter.amountString, entry.note ?? ""]
            }
            OperatorConsole.line(OperatorText.table(["TIME", "KIND", "AMOUNT", "BALANCE", "NOTE"], rows))
        }
    }

    public struct Credit: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Add money to an account (a top-up).")

        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        @Argument(help: "Amount, e.g. 10 or 2.5.") var amount: String
        @Option(help: "Note kept in the ledger.") var note: String?

        public init() {}

        public func run() throws {
            let store = try data.openStore()
            let account = try store.requireAccount(login)
            let entry = try store.credit(account: account.id!, amount: OperatorText.amount(amount, currency: account.currency, option: "amount"),
                                         note: note, at: Date())
            OperatorConsole.line("credited \(entry.amount) to \(login): balance \(entry.balanceAfter)")
        }
    }

    public struct Debit: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Remove money from an account (a correction).")

        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        @Argument(help: "Amount, e.g. 1.25.") var amount: String
        @Option(help: "Note kept in the ledger.") var note: String?

        public init() {}

        public func run() throws {
            let store = try data.openStore()
            let account = try store.requireAccount(login)
            let entry = try store.debit(account: account.id!, amount: OperatorText.amount(amount, currency: account.currency, option: "amount"),
                                        note: note, at: Date())
            OperatorConsole.line("debited \(-entry.amount) from \(login): balance \(entry.balanceAfter)")
        }
    }

    public struct Lock: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Lock an account: it can no longer authenticate or call.")

        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String

        public init() {}

        public func run() throws {
            let store = try data.openStore()
            try store.setState(.locked, account: store.requireAccount(login).id!)
            OperatorConsole.line("locked \(login)")
        }
    }

    /// How the account's forward works, in words: "no-answer after 20 s".
    static func forwardingSummary(_ account: Account) -> String {
        account.forwardMode == .noAnswer ? "no-answer after \(account.forwardAfterSeconds) s" : account.forwardMode.rawValue
    }

    public struct Forward: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Set where and when an account's calls are forwarded (options left out keep their value).",
            discussion: """
            A call to the user rings its registered SIP phones first. The forward number is then called \
            by the mode: none (never), unregistered (no phone registered), no-answer (also when the \
            phones ring --after seconds unanswered), fork (phones and forward number ring at once; the \
            first to answer wins, the others are cancelled).
            """)

        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String
        @Option(help: "Forward number (digits, '+', '*', '#').") var number: String?
        @Flag(name: .customLong("clear-number"), help: "Remove the forward number.") var clearNumber = false
        @Option(help: "none, unregistered, no-answer or fork.") var mode: ForwardMode?
        @Option(help: "Seconds the phone rings before a no-answer forward (1-600).") var after: Int?

        public init() {}

        public func validate() throws {
            if clearNumber && number != nil { throw ValidationError("--number and --clear-number exclude each other") }
            if let after, !(1...600).contains(after) { throw ValidationError("--after must be 1 to 600 seconds, got \(after)") }
        }

        public func run() throws {
            let store = try data.openStore()
            let account = try store.requireAccount(login)
            let updated = try store.setForwarding(number: clearNumber ? nil : number ?? account.forwardNumber,
                                                  mode: mode ?? account.forwardMode,
                                                  afterSeconds: after ?? account.forwardAfterSeconds, account: account.id!)
            OperatorConsole.line("\(login): forward \(updated.forwardNumber ?? "-"), \(AccountsCommand.forwardingSummary(updated))")
        }
    }

    public struct Unlock: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Unlock a locked account.")

        @OptionGroup var data: DataOptions
        @Argument(help: "Login.") var login: String

        public init() {}

        public func run() throws {
            let store = try data.openStore()
            try store.setState(.active, account: store.requireAccount(login).id!)
            OperatorConsole.line("unlocked \(login)")
        }
    }
}

extension ForwardMode: ExpressibleByArgument {}
