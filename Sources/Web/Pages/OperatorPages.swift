import Billing
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store
import Switchboard

/// The operator's pages behind `http.admin-token`: sign in with the token once (its own
/// cookie, apart from an account's), then active calls, the callback queue, the accounts
/// (create, credit, lock) and each generated lot as CSV. Failed token guesses count
/// against the client address like failed logins.
struct OperatorPages: Sendable {
    /// Open callback requests the dashboard lists, oldest first.
    static let queueRows = 100
    let pages: WebPages
    var deps: APIDependencies { pages.deps }

    func add(to router: Router<SwitchbackRequestContext>) {
        router.get("operator") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.operatorName, start: true)
            guard visit.isOperator else { return signInPage(visit, message: nil, status: .ok) }
            let saved = request.uri.queryParameters["saved"] != nil
            return try await dashboard(visit, message: saved ? PageLayout.message(Phrase.saved.text(visit.language)) : nil,
                                       accounts: AccountListing(request))
        }
        router.post("operator/sign-in") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.operatorName, start: false)
            guard let form = try await pages.checkedForm(request, visit) else { return pages.csrfRejected(visit) }
            let language = visit.language
            guard let token = deps.adminToken else {
                return signInPage(visit, message: Phrase.noAdminToken.text(language), status: .forbidden)
            }
            let client = "http:\(context.remoteAddress?.ipAddress ?? "unknown")"
            let now = deps.now()
            if try deps.lockout.check(deps.store, callerID: client, account: nil, now: now).isLocked {
                return signInPage(visit, message: Phrase.lockedOut.text(language), status: .tooManyRequests)
            }
            guard AdminAccessMiddleware<SwitchbackRequestContext>.constantTimeEqual(form.values["token"] ?? "", token) else {
                try deps.store.recordPINFailure(callerID: client, account: nil, at: now)
                return signInPage(visit, message: Phrase.wrongToken.text(language), status: .unauthorized)
            }
            try deps.store.clearPINFailures(callerID: client, account: nil)
            pages.sessions.end(visit.sessionID)
            let (id, _) = pages.sessions.start(.operatorToken, now: now)
            return PageLayout.redirect("/operator", headers: [PageCookies.set(PageCookies.operatorName, id, secure: visit.secure)])
        }
        router.post("operator/sign-out") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.operatorName, start: false)
            guard try await pages.checkedForm(request, visit) != nil else { return pages.csrfRejected(visit) }
            pages.sessions.end(visit.sessionID)
            return PageLayout.redirect("/operator", headers: [PageCookies.clear(PageCookies.operatorName, secure: visit.secure)])
        }
        router.post("operator/accounts") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.operatorName, start: false)
            guard visit.isOperator else { return PageLayout.redirect("/operator") }
            guard let form = try await pages.checkedForm(request, visit) else { return pages.csrfRejected(visit) }
            return try await attempt(visit) {
                let balance = try AdminAPIRoutes.amount(form["balance"], field: "balance")
                _ = try deps.store.createAccount(NewAccount(login: form["login"], password: form.values["password"] ?? "",
                                                            pin: form["pin"].isEmpty ? nil : form["pin"], sipRealm: deps.sipRealm,
                                                            initialBalance: balance), at: deps.now())
            }
        }
        router.post("operator/accounts/:login/:action") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.operatorName, start: false)
            guard visit.isOperator else { return PageLayout.redirect("/operator") }
            guard let form = try await pages.checkedForm(request, visit) else { return pages.csrfRejected(visit) }
            let login = context.parameters.get("login") ?? ""
            let action = context.parameters.get("action") ?? ""
            return try await attempt(visit) {
                guard let account = try deps.store.account(login: login) else { throw APIProblem.notFound("no account \(login)") }
                switch action {
                case "credit":
                    let amount = try AdminAPIRoutes.amount(form["amount"], field: "amount")
                    _ = try deps.store.credit(account: account.id!, amount: amount, note: "operator page", at: deps.now())
                case "lock":
                    try deps.store.setState(account.state == .locked ? .active : .locked, account: account.id!)
                default:
                    throw APIProblem.notFound("no action \(action)")
                }
            }
        }
        router.get("operator/lots/:name/accounts.csv") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.operatorName, start: false)
            guard visit.isOperator else { return PageLayout.redirect("/operator") }
            let name = context.parameters.get("name") ?? ""
            guard try deps.store.lots().contains(where: { $0.name == name }) else { return Response(status: .notFound) }
            let dates = ISO8601DateFormatter()
            let lines = try deps.store.accounts(lot: name).map { account in
                [account.login, account.state.rawValue, account.balance.amountString, account.currency, account.ratePlan ?? "",
                 account.personalDID ?? "", dates.string(from: account.createdAt)].map(CallRecord.csvField).joined(separator: ",")
            }
            let text = (["login,state,balance,currency,plan,personal_did,created_at"] + lines).joined(separator: "\r\n") + "\r\n"
            return WebPages.csv(text, filename: "\(name.filter { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }).csv")
        }
    }

    /// Runs an operator's change: back to the dashboard when it worked, the dashboard with
    /// the error when the operator made a mistake.
    func attempt(_ visit: WebPages.Visit, _ body: () throws -> Void) async throws -> Response {
        do {
            try body()
            return PageLayout.redirect("/operator?saved=1")
        } catch {
            guard let text = WebPages.userError(error) else { throw error }
            return try await dashboard(visit, message: PageLayout.message(text, error: true), status: .unprocessableContent)
        }
    }

    func signInPage(_ visit: WebPages.Visit, message: String?, status: HTTPResponse.Status) -> Response {
        let layout = PageLayout(language: visit.language, navigation: .visitor, csrf: visit.csrf)
        let form = HTML.form("/operator/sign-in", csrf: visit.csrf, label: layout.t(.operatorPages),
                             HTML.field("token", label: layout.t(.adminToken), type: "password",
                                        attributes: "autocomplete=\"current-password\"") + HTML.button(layout.t(.signIn)))
        return layout.render(title: layout.t(.operatorPages),
                             (message.map { PageLayout.message($0, error: true) } ?? "") + "<section>\(form)</section>",
                             status: status, headers: visit.headers)
    }

    /// Which accounts the dashboard lists: a page of those whose login starts with `prefix`
    /// (`?login=`), `AccountListing.pageSize` at a time (`?page=`), so that a store with
    /// thousands of generated cards still gives a page of a few kilobytes.
    struct AccountListing: Sendable {
        static let pageSize = 50
        var prefix = ""
        var page = 1

        init() {}

        init(_ request: Request) {
            prefix = String(request.uri.queryParameters["login"] ?? "").trimmingCharacters(in: .whitespaces)
            page = max(1, min(Int(String(request.uri.queryParameters["page"] ?? "")) ?? 1, 1_000_000))
        }

        var offset: Int { (page - 1) * Self.pageSize }

        /// The dashboard's address for another page of the same search.
        func link(page: Int) -> String {
            var query = ["page=\(page)"]
            if !prefix.isEmpty {
                // Unreserved characters only (RFC 3986 §2.3): `&`, `=`, `+`, `#` of a login stay encoded.
                let unreserved = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
                query.insert("login=" + (prefix.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""), at: 0)
            }
            return "/operator?" + query.joined(separator: "&")
        }
    }

    func dashboard(_ visit: WebPages.Visit, message: String?, status: HTTPResponse.Status = .ok,
                   accounts listing: AccountListing = AccountListing()) async throws -> Response {
        let layout = PageLayout(language: visit.language, navigation: .operatorPages, csrf: visit.csrf)
        let active = await deps.activeCalls?()
        let dates = ISO8601DateFormatter()
        // The head of the queue: a spool can queue thousands.
        let head = try deps.store.callbackRequestPage(states: [.queued] + CallbackRequest.State.active,
                                                      limit: Self.queueRows)
        let open = head.items
        let queue = open.isEmpty ? "<p>\(layout.t(.queueEmpty))</p>" : HTML.table(
            caption: "\(layout.t(.callbackQueue)) 1–\(open.count) / \(head.total)", headers: ["#", layout.t(.state), layout.t(.from), layout.t(.numbers), layout.t(.started)],
            rows: open.map { request in
                [String(request.id ?? 0), HTML.escape(request.state.rawValue), HTML.escape(request.originNumber ?? ""),
                 HTML.escape(request.destinations.joined(separator: ", ")), HTML.escape(dates.string(from: request.createdAt))]
            }, id: "queue")
        let found = try deps.store.accountPage(loginPrefix: listing.prefix, offset: listing.offset,
                                               limit: AccountListing.pageSize)
        let accounts = found.items
        let accountRows = try accounts.map { account -> [String] in
            let free = try deps.store.freeBalance(account: account.id!)
            let path = "/operator/accounts/\(account.login.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? account.login)"
            let credit = HTML.form(path + "/credit", csrf: visit.csrf, class: "inline", label: "\(layout.t(.credit)) \(account.login)",
                                   HTML.field("amount", label: layout.t(.amount), value: "",
                                              id: "amount-\(HTML.escape(account.login))")
                                    + HTML.button(layout.t(.credit)))
            let lock = HTML.form(path + "/lock", csrf: visit.csrf, label: "\(layout.t(.lock)) \(account.login)",
                                 HTML.button(account.state == .locked ? layout.t(.unlock) : layout.t(.lock), class: "danger"))
            return [HTML.escape(account.login), HTML.escape(account.state.rawValue),
                    "\(HTML.escape(account.balance.amountString)) \(HTML.escape(account.currency))",
                    "\(HTML.escape(free.amountString)) \(HTML.escape(free.currency))", credit, lock]
        }
        let first = accounts.isEmpty ? 0 : listing.offset + 1
        let accountTable = HTML.table(caption: "\(layout.t(.accounts)) \(first)–\(listing.offset + accounts.count) / \(found.total)",
                                      headers: [layout.t(.login), layout.t(.state), layout.t(.balance), layout.t(.freeBalance),
                                                layout.t(.credit), layout.t(.lock)],
                                      rows: accountRows, id: "accounts")
        let search = """
            <form method="get" action="/operator" class="inline" aria-label="\(HTML.escape(layout.t(.findAccounts)))">\
            \(HTML.field("login", label: layout.t(.findAccounts), value: listing.prefix, required: false, id: "find-login"))\
            \(HTML.button(layout.t(.find)))</form>
            """
        var pager: [String] = []
        if listing.page > 1 {
            pager.append("<a rel=\"prev\" href=\"\(HTML.escape(listing.link(page: listing.page - 1)))\">\(layout.t(.previousPage))</a>")
        }
        if listing.offset + accounts.count < found.total {
            pager.append("<a rel=\"next\" href=\"\(HTML.escape(listing.link(page: listing.page + 1)))\">\(layout.t(.nextPage))</a>")
        }
        let pagerLinks = pager.isEmpty ? "" : "<p class=\"pager\">\(pager.joined(separator: " "))</p>"
        let create = HTML.form("/operator/accounts", csrf: visit.csrf, label: layout.t(.createAccount),
                               HTML.field("login", label: layout.t(.login), id: "new-login", attributes: "autocomplete=\"off\"")
                                + HTML.field("password", label: layout.t(.password), type: "password",
                                             attributes: "autocomplete=\"new-password\"")
                                + HTML.field("pin", label: layout.t(.pin), required: false, attributes: "inputmode=\"numeric\"")
                                + HTML.field("balance", label: layout.t(.initialBalance), value: "0.00 EUR")
                                + HTML.button(layout.t(.createAccount)))
        let lots = try deps.store.lots()
        let lotTable = HTML.table(caption: layout.t(.lots), headers: [layout.t(.name), layout.t(.lotSize), "CSV"],
                                  rows: lots.map { lot in
                                      let path = "/operator/lots/\(lot.name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? lot.name)/accounts.csv"
                                      return [HTML.escape(lot.name), String(lot.size),
                                              "<a href=\"\(HTML.escape(path))\" download>\(layout.t(.download))</a>"]
                                  }, id: "lots")
        let content = (message ?? "") + """
        <div class="two">
        <section aria-labelledby="h-active"><h2 id="h-active">\(layout.t(.activeCalls))</h2>
        <p id="active-calls" class="state">\(active.map(String.init) ?? "–")</p></section>
        <section aria-labelledby="h-queue"><h2 id="h-queue">\(layout.t(.callbackQueue))</h2>\(queue)</section>
        </div>
        <section aria-labelledby="h-accounts"><h2 id="h-accounts">\(layout.t(.accounts))</h2>\(search)\(accountTable)\(pagerLinks)</section>
        <div class="two">
        <section aria-labelledby="h-create"><h2 id="h-create">\(layout.t(.createAccount))</h2>\(create)</section>
        <section aria-labelledby="h-lots"><h2 id="h-lots">\(layout.t(.lots))</h2>\(lotTable)</section>
        </div>
        """
        return layout.render(title: layout.t(.operatorPages), content, status: status, headers: visit.headers)
    }
}
