import ArgumentParser
import Billing
import Foundation
import Store

/// `switchback cdr export`: call detail records, one row per leg.
public struct CDRCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "cdr",
        abstract: "Export call detail records.",
        subcommands: [Export.self]
    )

    public init() {}

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv
    }

    /// CSV columns, in order.
    static let columns = ["id", "account", "campaign", "trigger", "leg", "from", "to", "start", "answer", "end",
                          "billed_seconds", "rate_prefix", "rate_per_minute", "connection_fee", "increments",
                          "cost", "currency", "disposition", "sip_cause"]

    public struct Export: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Export CDRs (one row per leg, oldest first) as CSV on standard output or to --output.")

        @OptionGroup var data: DataOptions
        @Option(help: "Only legs started at or after this time: 2026-01-31 or 2026-01-31T12:00:00Z (UTC).")
        var since: String?
        @Option(help: "Only legs of this account (login).") var account: String?
        @Option(help: "Output format.") var format: Format
        @Option(help: "Write to this file instead of standard output.") var output: String?

        public init() {}

        public func validate() throws {
            if let since, Self.parseTime(since) == nil {
                throw ValidationError("--since \"\(since)\" is not a date (2026-01-31) or UTC time (2026-01-31T12:00:00Z)")
            }
        }

        static func parseTime(_ text: String) -> Date? {
            let withTime = ISO8601DateFormatter()
            if let date = withTime.date(from: text) { return date }
            withTime.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            if let date = withTime.date(from: text) { return date }
            let dateOnly = ISO8601DateFormatter()
            dateOnly.formatOptions = [.withFullDate]
            return dateOnly.date(from: text)
        }

        public func run() throws {
            let store = try data.openStore()
            let accountID = try account.map { try store.requireAccount($0).id! }
            let logins = Dictionary(uniqueKeysWithValues: try store.accounts(lot: nil).compactMap { a in a.id.map { ($0, a.login) } })
            var csv = OperatorCSVWriter()
            csv.row(CDRCommand.columns)
            for leg in try store.callLegs(since: since.flatMap(Self.parseTime), account: accountID) {
                let money = { (minor: Int64?) in minor.map { Money(minorUnits: $0, currency: leg.currency).amountString } ?? "" }
                csv.row([
                    leg.id.map(String.init) ?? "", leg.accountID.flatMap { logins[$0] } ?? "", leg.campaign ?? "",
                    leg.trigger ?? "", leg.leg.rawValue, leg.fromNumber, leg.toNumber, OperatorText.timestamp(leg.startedAt),
                    OperatorText.timestamp(leg.answeredAt), OperatorText.timestamp(leg.endedAt), String(leg.billedSeconds),
                    leg.ratePrefix ?? "", money(leg.ratePerMinuteMinorUnits), money(leg.connectionFeeMinorUnits),
                    leg.firstIncrement.flatMap { first in leg.followingIncrement.map { "\(first)/\($0)" } } ?? "",
                    leg.cost.amountString, leg.currency, leg.disposition.rawValue, leg.sipCause.map(String.init) ?? "",
                ])
            }
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: Data(csv.text.utf8)) else {
                    throw OperatorCommandError("could not write \(output)")
                }
            } else {
                OperatorConsole.output.write(csv.text)
            }
        }
    }
}
