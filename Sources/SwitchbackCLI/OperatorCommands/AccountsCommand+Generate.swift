import ArgumentParser
import Billing
import Foundation
import Store

extension AccountsCommand {
    /// `accounts generate`: a batch of cards with random logins, passwords and PINs, recorded
    /// as one named lot. The secrets exist in clear only in this command's output and the
    /// export file: the database keeps hashes.
    public struct Generate: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Generate a lot of accounts with unique logins, strong passwords and PINs.",
            discussion: """
                Credentials are printed once and written to the export file (CSV: login, password, pin, \
                balance, currency, plan, lot); the database keeps only hashes. The export file must not exist yet.
                """)

        @OptionGroup var data: DataOptions
        @Option(help: "How many accounts (1…10000; each password hash takes a moment by design).") var count: Int
        @Option(help: "Login prefix; 8 random digits follow.") var prefix: String = "card"
        @Option(help: "Initial balance of each account.") var balance: String = "0"
        @Option(help: "Rate plan name.") var plan: String?
        @Option(help: "Currency code when no plan is given.") var currency: String?
        @Option(help: "Lot name (default: lot-<UTC time>).") var lot: String?
        @Option(name: .customLong("pin-digits"), help: "PIN length (6…12).") var pinDigits: Int = 10
        @Option(help: "SIP realm for the stored digest HA1.") var realm: String = AccountsCommand.defaultRealm
        @Option(help: "CSV file to write the credentials to.") var export: String

        public init() {}

        public func validate() throws {
            guard (1...10_000).contains(count) else { throw ValidationError("--count must be 1…10000, got \(count)") }
            guard (6...12).contains(pinDigits) else { throw ValidationError("--pin-digits must be 6…12, got \(pinDigits)") }
        }

        public func run() throws {
            let exportURL = URL(fileURLWithPath: export)
            guard !FileManager.default.fileExists(atPath: exportURL.path) else {
                throw OperatorCommandError("export file \(export) already exists; refusing to overwrite credentials")
            }
            let store = try data.openStore()
            let currency = try AccountsCommand.currency(plan: plan, option: self.currency, store: store)
            let initialBalance = try OperatorText.amount(balance, currency: currency, option: "--balance")
            let lotName = lot ?? "lot-" + OperatorText.timestamp(Date()).replacingOccurrences(of: ":", with: "")
            if try store.lots().contains(where: { $0.name == lotName }) { throw StoreError.lotNameTaken(lotName) }

            let generator = CredentialGenerator()
            var logins = Set<String>()
            var pins = Set<String>()
            var accounts: [NewAccount] = []
            while accounts.count < count {
                let login = generator.login(prefix: prefix)
                guard !logins.contains(login), try store.account(login: login) == nil else { continue }
                let pin = generator.pin(length: pinDigits)
                guard !pins.contains(pin), try store.authenticate(pin: pin) == .rejected else { continue }
                logins.insert(login)
                pins.insert(pin)
                accounts.append(NewAccount(login: login, password: generator.password(), pin: pin, sipRealm: realm,
                                           initialBalance: initialBalance, ratePlan: plan))
            }
            var csv = OperatorCSVWriter()
            csv.row(["login", "password", "pin", "balance", "currency", "plan", "lot"])
            for account in accounts {
                csv.row([account.login, account.password, account.pin ?? "", initialBalance.amountString, currency,
                         plan ?? "", lotName])
            }
            // Write the file first (owner-only: it holds secrets), so a lot never exists whose
            // credentials were lost; it takes its final name once the lot is stored.
            let partial = exportURL.path + ".partial"
            guard FileManager.default.createFile(atPath: partial, contents: Data(csv.text.utf8),
                                                 attributes: [.posixPermissions: 0o600]) else {
                throw OperatorCommandError("could not write \(partial)")
            }
            let created: AccountLot
            do {
                (created, _) = try store.createLot(named: lotName, accounts: accounts, at: Date())
            } catch {
                try? FileManager.default.removeItem(atPath: partial)
                throw error
            }
            try FileManager.default.moveItem(atPath: partial, toPath: exportURL.path)
            OperatorConsole.line("generated \(created.size) accounts in lot \(lotName), balance \(initialBalance) each")
            OperatorConsole.line("credentials written to \(export) (shown once; only hashes are stored):")
            OperatorConsole.line(OperatorText.table(["LOGIN", "PASSWORD", "PIN"], accounts.map { [$0.login, $0.password, $0.pin ?? ""] }))
        }
    }
}
