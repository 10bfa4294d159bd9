import Billing
import Foundation
import Store

/// `AccountSummary` of the document. Money as exact decimal strings, never floats.
struct AccountSummary: Encodable, Sendable {
    var id: Int64
    var login: String
    var state: String
    var balance: String
    var freeBalance: String
    var currency: String
    var plan: String?

    init(_ account: Account, freeBalance: Money) {
        id = account.id ?? 0
        login = account.login
        state = account.state.rawValue
        balance = account.balance.amountString
        self.freeBalance = freeBalance.amountString
        currency = account.currency
        plan = account.ratePlan
    }

    enum CodingKeys: String, CodingKey { case id, login, state, balance, freeBalance, currency, plan }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(login, forKey: .login)
        try container.encode(state, forKey: .state)
        try container.encode(balance, forKey: .balance)
        try container.encode(freeBalance, forKey: .freeBalance)
        try container.encode(currency, forKey: .currency)
        try container.encode(plan, forKey: .plan)   // null, not absent: the document requires it
    }
}

/// `CallRecord` of the document: one CDR.
struct CallRecord: Encodable, Sendable {
    var id: Int64
    var trigger: String
    var leg: String
    var number: String
    var startedAt: Date
    var answeredAt: Date?
    var endedAt: Date?
    var billedSeconds: Int
    var cost: String
    var currency: String
    var outcome: String?

    init(_ leg: CallLeg) {
        id = leg.id ?? 0
        trigger = leg.trigger ?? ""
        self.leg = leg.leg.rawValue
        number = leg.toNumber
        startedAt = leg.startedAt
        answeredAt = leg.answeredAt
        endedAt = leg.endedAt
        billedSeconds = leg.billedSeconds
        cost = leg.cost.amountString
        currency = leg.currency
        outcome = leg.disposition.rawValue
    }

    static let csvHeader = "id,trigger,leg,from,to,started_at,answered_at,ended_at,billed_seconds,cost,currency,outcome,sip_cause"

    static func csvLine(_ leg: CallLeg) -> String {
        let dates = ISO8601DateFormatter()
        let fields: [String] = [
            String(leg.id ?? 0), leg.trigger ?? "", leg.leg.rawValue, leg.fromNumber, leg.toNumber,
            dates.string(from: leg.startedAt), leg.answeredAt.map(dates.string(from:)) ?? "",
            leg.endedAt.map(dates.string(from:)) ?? "", String(leg.billedSeconds), leg.cost.amountString, leg.currency,
            leg.disposition.rawValue, leg.sipCause.map(String.init) ?? "",
        ]
        return fields.map(csvField).joined(separator: ",")
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

struct CallPage: Encodable, Sendable {
    var page: Int
    var perPage: Int
    var total: Int
    var calls: [CallRecord]
}

struct CallerIDResource: Encodable, Sendable {
    var number: String
}

struct AddressBookResource: Encodable, Sendable {
    var slot: Int
    var name: String
    var number: String

    init(_ entry: AddressBookEntry) {
        slot = entry.slot
        name = entry.name
        number = entry.number
    }
}

struct ForwardResource: Encodable, Sendable {
    var number: String?
    var mode: String
    var afterSeconds: Int

    init(_ account: Account) {
        number = account.forwardNumber
        mode = account.forwardMode.rawValue
        afterSeconds = account.forwardAfterSeconds
    }

    enum CodingKeys: String, CodingKey { case number, mode, afterSeconds }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(number, forKey: .number)
        try container.encode(mode, forKey: .mode)
        try container.encode(afterSeconds, forKey: .afterSeconds)
    }
}
