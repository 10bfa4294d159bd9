import Foundation
import Hummingbird
import NIOCore
import Store

/// The account's own data: balance, CDRs (JSON pages or the CSV export), caller IDs,
/// address book, forward settings. Each route authenticates as the account first.
enum AccountRoutes {
    static func add<Context: RemoteAddressRequestContext>(to group: RouterGroup<Context>, _ deps: APIDependencies,
                                                         authenticator: AccountAuthenticator) {
        group.get("account") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            return try APIRouteSupport.json(AccountSummary(account, freeBalance: try deps.store.freeBalance(account: account.id!)))
        }
        group.get("calls") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            return try calls(request, account: account.id, deps)
        }
        group.get("caller-ids") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            return try APIRouteSupport.json(try deps.store.callerIDs(account: account.id!).map { CallerIDResource(number: $0.number) })
        }
        group.post("caller-ids") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let body = try await APIRouteSupport.validatedBody(request, operationId: "addCallerID", document: deps.document)
            let number = body["number"]?.string ?? ""
            let added = try APIRouteSupport.store { try deps.store.authoriseCallerID(number, account: account.id!, at: deps.now()) }
            return try APIRouteSupport.json(CallerIDResource(number: added.number), status: .created)
        }
        group.delete("caller-ids/:number") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let number = context.parameters.get("number") ?? ""
            try APIRouteSupport.store { try deps.store.revokeCallerID(number, account: account.id!) }
            return Response(status: .noContent)
        }
        group.get("address-book") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            return try APIRouteSupport.json(try deps.store.addressBook(account: account.id!).map(AddressBookResource.init))
        }
        group.post("address-book") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let body = try await APIRouteSupport.validatedBody(request, operationId: "addAddressBookEntry", document: deps.document)
            let entry = try APIRouteSupport.store {
                try deps.store.addAddressBookEntry(account: account.id!, slot: body["slot"]?.integer.map { Int($0) },
                                                   name: body["name"]?.string ?? "", number: body["number"]?.string ?? "")
            }
            return try APIRouteSupport.json(AddressBookResource(entry), status: .created)
        }
        group.delete("address-book/:entry") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let entry = context.parameters.get("entry") ?? ""
            try APIRouteSupport.store { try deps.store.removeAddressBookEntry(account: account.id!, slotOrName: entry) }
            return Response(status: .noContent)
        }
        group.get("forward") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            return try APIRouteSupport.json(ForwardResource(account))
        }
        group.put("forward") { request, context -> Response in
            let account = try authenticator.authenticate(request, remoteAddress: context.remoteAddress)
            let body = try await APIRouteSupport.validatedBody(request, operationId: "setForward", document: deps.document)
            guard let mode = body["mode"]?.string.flatMap(ForwardMode.init(rawValue:)) else {
                throw APIProblem.invalid("mode is not a forward mode", field: "/mode")
            }
            do {
                let updated = try deps.store.setForwarding(number: body["number"]?.string, mode: mode,
                                                           afterSeconds: Int(body["afterSeconds"]?.integer ?? 20),
                                                           account: account.id!)
                return try APIRouteSupport.json(ForwardResource(updated))
            } catch let error as InvalidForwarding {
                throw APIProblem.invalid(error.description, field: "/number")
            }
        }
    }

    /// One page of CDRs (JSON), or all of them as CSV when the client accepts `text/csv`
    /// rather than JSON. `account` nil: every account's (admin).
    static func calls(_ request: Request, account: Int64?, _ deps: APIDependencies) throws -> Response {
        let accept = request.headers[.accept]?.lowercased() ?? ""
        if accept.contains("text/csv") && !accept.contains("application/json") {
            let legs = try deps.store.callLegs(since: nil, account: account)
            let text = ([CallRecord.csvHeader] + legs.map(CallRecord.csvLine)).joined(separator: "\r\n") + "\r\n"
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        // One page read from the store, not every CDR there is.
        let (page, perPage) = try APIRouteSupport.paging(request)
        let (start, overflow) = (page - 1).multipliedReportingOverflow(by: perPage)
        let found = try deps.store.callLegPage(account: account, newestFirst: false, offset: overflow ? Int(Int64.max) : start,
                                               limit: perPage)
        return try APIRouteSupport.json(CallPage(page: page, perPage: perPage, total: found.total,
                                                 calls: found.items.map(CallRecord.init)))
    }
}
