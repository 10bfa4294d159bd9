import Billing
import Foundation
import Hummingbird
import NIOCore
import Store

/// `/api/v1/admin`: accounts, credit and debit, the CDR export, the callback queue and
/// active calls, behind the admin bearer token.
enum AdminAPIRoutes {
    struct ActiveCalls: Encodable { var activeCalls: Int }

    struct LedgerResource: Encodable {
        var id: Int64
        var amount: String
        var balance: String
        var note: String?
        var at: Date

        enum CodingKeys: String, CodingKey { case id, amount, balance, note, at }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(amount, forKey: .amount)
            try container.encode(balance, forKey: .balance)
            try container.encode(note, forKey: .note)
            try container.encode(at, forKey: .at)
        }
    }

    static func add<Context: RemoteAddressRequestContext>(to group: RouterGroup<Context>, _ deps: APIDependencies) {
        let admin = group.group("admin").add(middleware: APIAdminAccess<Context>(token: deps.adminToken))
        admin.get("accounts") { _, _ -> Response in
            let accounts = try deps.store.accounts(lot: nil)
            return try APIRouteSupport.json(try accounts.map { AccountSummary($0, freeBalance: try deps.store.freeBalance(account: $0.id!)) })
        }
        admin.post("accounts") { request, _ -> Response in
            let body = try await APIRouteSupport.validatedBody(request, operationId: "adminCreateAccount", document: deps.document)
            let balance = try amount(body["balance"]?.string ?? "", field: "/balance")
            let new = NewAccount(login: body["login"]?.string ?? "", password: body["password"]?.string ?? "",
                                 pin: body["pin"]?.string, sipRealm: deps.sipRealm, initialBalance: balance,
                                 ratePlan: body["plan"]?.string, forwardNumber: body["forwardNumber"]?.string)
            let account = try APIRouteSupport.store { try deps.store.createAccount(new, at: deps.now()) }
            return try APIRouteSupport.json(AccountSummary(account, freeBalance: account.balance), status: .created)
        }
        admin.post("accounts/:login/:direction") { request, context -> Response in
            let login = context.parameters.get("login") ?? ""
            let direction = context.parameters.get("direction") ?? ""
            guard direction == "credit" || direction == "debit" else {
                throw APIProblem.notFound("no such resource: \(request.uri.path)")
            }
            let body = try await APIRouteSupport.validatedBody(request, operationId: "adminAdjustBalance", document: deps.document)
            guard let account = try deps.store.account(login: login) else { throw APIProblem.notFound("no account \(login)") }
            let money = try amount(body["amount"]?.string ?? "", field: "/amount")
            let note = body["note"]?.string
            let entry = try APIRouteSupport.store {
                direction == "credit"
                    ? try deps.store.credit(account: account.id!, amount: money, note: note, at: deps.now())
                    : try deps.store.debit(account: account.id!, amount: money, note: note, at: deps.now())
            }
            return try APIRouteSupport.json(LedgerResource(id: entry.id ?? 0, amount: entry.amount.amountString,
                                                           balance: entry.balanceAfter.amountString, note: entry.note,
                                                           at: entry.createdAt))
        }
        admin.get("cdrs") { request, _ -> Response in
            try AccountRoutes.calls(request, account: nil, deps)
        }
        admin.get("callbacks") { _, _ -> Response in
            let open = try deps.store.callbackRequests(states: [.queued] + CallbackRequest.State.active)
            return try APIRouteSupport.json(try open.map { CallbackResource($0, events: try deps.store.callbackEvents(request: $0.id!, after: nil)) })
        }
        RateImportRoute.add(to: admin, deps)
        admin.get("calls/active") { _, _ -> Response in
            guard let count = await deps.activeCalls?() else {
                throw APIProblem.unavailable("the call side is not running")
            }
            return try APIRouteSupport.json(ActiveCalls(activeCalls: count))
        }
    }

    /// "5.00 EUR" as exact money.
    static func amount(_ text: String, field: String) throws -> Money {
        let parts = text.split(separator: " ")
        guard parts.count == 2 else { throw APIProblem.invalid("expected an amount and a currency, e.g. 5.00 EUR", field: field) }
        do {
            let money = try Money.parse(String(parts[0]), currency: String(parts[1]))
            guard money.minorUnits > 0 else { throw APIProblem.invalid("the amount must be positive", field: field) }
            return money
        } catch let problem as APIProblem {
            throw problem
        } catch {
            throw APIProblem.invalid("\(error)", field: field)
        }
    }
}
