import ArgumentParser
import Billing
import Foundation
import Store

/// `switchback rates …`: import rate decks and price calls.
public struct RatesCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "rates",
        abstract: "Import rate decks into plans and quote the price of a call.",
        subcommands: [Import.self, Quote.self, List.self]
    )

    public init() {}

    /// Which leg `quote` prices.
    enum LegOption: String, ExpressibleByArgument, CaseIterable {
        case a, b
        var leg: Leg { self == .a ? .a : .b }
    }

    public struct Import: ParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Replace a plan's rates with a CSV deck (all or nothing).",
            discussion: """
                Columns: prefix,description,rate per minute,connection fee,first increment,increment \
                (an optional header line is skipped). Amounts have up to 4 decimals; increments are whole \
                seconds, e.g. 60,60 or 30,6 or 1,1. The first bad row stops the import, naming its line and \
                column, and nothing is imported.
                """)

        @OptionGroup var data: DataOptions
        @Argument(help: "Plan name (created if new).") var plan: String
        @Argument(help: "Rate deck CSV file.") var file: String
        @Option(help: "Currency of the deck's amounts.") var currency: String = AccountsCommand.defaultCurrency
        @Flag(name: .customLong("charge-a-leg"), help: "Charge the A leg (to the user) of callbacks too.")
        var chargeALeg = false
        @Option(name: .customLong("block"),
                help: "A destination prefix the plan refuses whatever its rates say (premium numbers); repeatable.")
        var blockedPrefixes: [String] = []

        public init() {}

        public func run() throws {
            let text: String
            do {
                text = try String(contentsOfFile: file, encoding: .utf8)
            } catch {
                throw OperatorCommandError("cannot read rate deck \(file): \(error.localizedDescription)")
            }
            let rates: [Rate]
            do {
                rates = try RateDeck.parse(text, currency: currency)
            } catch {
                throw OperatorCommandError("\(file): \(error); nothing imported")
            }
            guard !rates.isEmpty else { throw OperatorCommandError("\(file): no rates found; nothing imported") }
            let store = try data.openStore()
            let count: Int
            do {
                count = try store.importRates(plan: plan, currency: currency, chargesALeg: chargeALeg, rates: rates,
                                              blockedPrefixes: blockedPrefixes, at: Date())
            } catch let error as RateError {
                throw OperatorCommandError("--block: \(error); nothing imported")
            }
            let blocked = blockedPrefixes.isEmpty ? "" : ", blocks \(blockedPrefixes.joined(separator: " "))"
            OperatorConsole.line("imported \(count) rates into plan \(plan) (\(currency), A leg \(chargeALeg ? "charged" : "free")\(blocked))")
        }
    }

    public struct Quote: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Price one leg: matched prefix, billed seconds and cost.")

        @OptionGroup var data: DataOptions
        @Option(help: "Plan name.") var plan: String
        @Option(help: "Destination number.") var to: String
        @Option(help: "Answered seconds.") var seconds: Int
        @Option(help: "Leg: a (to the user, charged only if the plan says so) or b (to the destination).")
        var leg: LegOption = .b

        public init() {}

        public func validate() throws {
            if seconds < 0 { throw ValidationError("--seconds must not be negative") }
        }

        public func run() throws {
            let store = try data.openStore()
            guard let ratePlan = try store.ratePlan(named: plan) else { throw StoreError.unknownRatePlan(plan) }
            let quote = try ratePlan.quote(leg: leg.leg, to: to, answeredSeconds: seconds)
            let rate = quote.rate
            let lines: [(String, String)] = [
                ("plan", plan),
                ("leg", leg.rawValue),
                ("destination", to),
                ("matched prefix", rate.prefix + (rate.description.isEmpty ? "" : " (\(rate.description))")),
                ("rate", "\(rate.perMinute)/min, connection fee \(rate.connectionFee.amountString), increments \(rate.increments)"),
                ("answered seconds", String(quote.answeredSeconds)),
                ("billed seconds", String(quote.billedSeconds)),
                ("cost", quote.cost.description + (quote.charged ? "" : " (A leg not charged on this plan)")),
            ]
            for (name, value) in lines {
                OperatorConsole.line((name + ":").padding(toLength: 18, withPad: " ", startingAt: 0) + value)
            }
        }
    }

    public struct List: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "List rate plans.")
        @OptionGroup var data: DataOptions
        public init() {}

        public func run() throws {
            let store = try data.openStore()
            let rows = try store.ratePlans().map { record in
                [record.name, record.currency, record.chargesALeg ? "charged" : "free",
                 String(try store.ratePlan(named: record.name)?.table.count ?? 0),
                 record.blockedPrefixList.isEmpty ? "-" : record.blockedPrefixList.joined(separator: " "),
                 OperatorText.timestamp(record.updatedAt)]
            }
            OperatorConsole.line(OperatorText.table(["PLAN", "CUR", "A LEG", "RATES", "BLOCKED", "UPDATED"], rows))
        }
    }
}
