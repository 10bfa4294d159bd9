import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store
import Switchboard

/// The user's pages: sign-in and sign-out, "call me back" and "connect two", the live
/// status of a request, and "my account".
struct AccountPages: Sendable {
    /// Calls the account page lists, newest first.
    static let historyRows = 100
    let pages: WebPages
    var deps: APIDependencies { pages.deps }

    func add(to router: Router<SwitchbackRequestContext>) {
        router.get("/") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.account, start: false)
            return PageLayout.redirect(visit.accountID == nil ? "/sign-in" : "/call")
        }
        router.get("sign-in") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.account, start: true)
            if visit.accountID != nil { return PageLayout.redirect("/call") }
            return signInPage(visit, login: "", message: nil, status: .ok)
        }
        router.post("sign-in") { request, context -> Response in
            try await signIn(request, context)
        }
        router.post("sign-out") { request, context -> Response in
            let visit = pages.visit(request, context, cookie: PageCookies.account, start: false)
            guard try await pages.checkedForm(request, visit) != nil else { return pages.csrfRejected(visit) }
            pages.sessions.end(visit.sessionID)
            return PageLayout.redirect("/sign-in", headers: [PageCookies.clear(PageCookies.account, secure: visit.secure)])
        }
        router.get("call") { request, context -> Response in
            guard let (visit, account) = try signedIn(request, context) else { return PageLayout.redirect("/sign-in") }
            return callPage(visit, account: account, form: nil, error: nil, status: .ok)
        }
        router.post("call") { request, context -> Response in
            guard let (visit, account) = try signedIn(request, context) else { return PageLayout.redirect("/sign-in") }
            guard let form = try await pages.checkedForm(request, visit) else { return pages.csrfRejected(visit) }
            return try placeCall(visit, account: account, form: form, source: context.remoteAddress?.ipAddress)
        }
        router.get("call/:id") { request, context -> Response in
            guard let (visit, account) = try signedIn(request, context) else { return PageLayout.redirect("/sign-in") }
            guard let callback = try owned(context, account) else { return notFound(visit) }
            return try statusPage(visit, callback: callback, message: nil)
        }
        router.get("call/:id/events") { request, context -> Response in
            guard let (_, account) = try signedIn(request, context) else { return Response(status: .unauthorized) }
            guard let callback = try owned(context, account) else { return Response(status: .notFound) }
            let resume = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
            return CallbackEventStream(request: callback, resumeAfter: resume, deps: deps).response()
        }
        router.post("call/:id/cancel") { request, context -> Response in
            guard let (visit, account) = try signedIn(request, context) else { return PageLayout.redirect("/sign-in") }
            guard try await pages.checkedForm(request, visit) != nil else { return pages.csrfRejected(visit) }
            guard let callback = try owned(context, account) else { return notFound(visit) }
            let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
            // As the API's DELETE: withdrawn, its ringing cancelled, or its legs hung up.
            do {
                _ = try await CallbackRoutes.cancel(callback, deps)
            } catch is APIProblem {
                return try statusPage(visit, callback: callback, message: layout.t(.cannotCancel))
            }
            return PageLayout.redirect("/call/\(callback.id!)")
        }
        router.get("account") { request, context -> Response in
            guard let (visit, account) = try signedIn(request, context) else { return PageLayout.redirect("/sign-in") }
            let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
            let saved = request.uri.queryParameters["saved"] != nil
            return try accountPage(visit, account: account, message: saved ? PageLayout.message(layout.t(.saved)) : nil,
                                   status: .ok)
        }
        router.get("account/calls.csv") { request, context -> Response in
            guard let (_, account) = try signedIn(request, context) else { return PageLayout.redirect("/sign-in") }
            let legs = try deps.store.callLegs(since: nil, account: account.id!)
            let text = ([CallRecord.csvHeader] + legs.map(CallRecord.csvLine)).joined(separator: "\r\n") + "\r\n"
            return WebPages.csv(text, filename: "calls.csv")
        }
        router.post("account/:change") { request, context -> Response in
            guard let (visit, account) = try signedIn(request, context) else { return PageLayout.redirect("/sign-in") }
            guard let form = try await pages.checkedForm(request, visit) else { return pages.csrfRejected(visit) }
            return try change(context.parameters.get("change") ?? "", form: form, visit: visit, account: account)
        }
    }

    // MARK: - Sign-in

    /// Login and password, counted and locked out exactly as the API's Basic auth is (the
    /// same failure rows: client key `http:<address>` and the account), so failures on the
    /// page and on the API add up.
    func signIn(_ request: Request, _ context: SwitchbackRequestContext) async throws -> Response {
        let visit = pages.visit(request, context, cookie: PageCookies.account, start: false)
        guard let form = try await pages.checkedForm(request, visit) else { return pages.csrfRejected(visit) }
        let layout = PageLayout(language: visit.language, navigation: .visitor, csrf: visit.csrf)
        let login = form["login"]
        let client = "http:\(context.remoteAddress?.ipAddress ?? "unknown")"
        let now = deps.now()
        let known = try deps.store.account(login: login)
        if try deps.lockout.check(deps.store, callerID: client, account: known?.id, now: now).isLocked {
            return signInPage(visit, login: login, message: layout.t(.lockedOut), status: .tooManyRequests,
                              headers: [HTTPField(name: .retryAfter, value: String(Int(deps.lockout.period)))])
        }
        switch try deps.store.authenticate(login: login, password: form.values["password"] ?? "") {
        case .authenticated(let account):
            try deps.store.clearPINFailures(callerID: client, account: account.id)
            // A new id on sign-in, so a session id planted before it is worth nothing after.
            pages.sessions.end(visit.sessionID)
            let (id, _) = pages.sessions.start(.account(account.id!), now: now)
            return PageLayout.redirect("/call", headers: [PageCookies.set(PageCookies.account, id, secure: visit.secure)])
        case .locked:
            return signInPage(visit, login: login, message: layout.t(.accountLocked), status: .forbidden)
        case .rejected:
            try deps.store.recordPINFailure(callerID: client, account: known?.id, at: now)
            return signInPage(visit, login: login, message: layout.t(.wrongPassword), status: .unauthorized)
        }
    }

    func signInPage(_ visit: WebPages.Visit, login: String, message: String?, status: HTTPResponse.Status,
                    headers: [HTTPField] = []) -> Response {
        let layout = PageLayout(language: visit.language, navigation: .visitor, csrf: visit.csrf)
        let form = HTML.form("/sign-in", csrf: visit.csrf, label: layout.t(.signIn),
                             HTML.field("login", label: layout.t(.login), value: login, attributes: "autocomplete=\"username\" autocapitalize=\"none\"")
                                + HTML.field("password", label: layout.t(.password), type: "password",
                                             attributes: "autocomplete=\"current-password\"")
                                + HTML.button(layout.t(.signIn)))
        return layout.render(title: layout.t(.signIn),
                             (message.map { PageLayout.message($0, error: true) } ?? "") + "<section>\(form)</section>",
                             status: status, headers: visit.headers + headers)
    }

    /// The signed-in account of the request, or nil (then the page sends to sign-in).
    func signedIn(_ request: Request, _ context: SwitchbackRequestContext) throws -> (WebPages.Visit, Account)? {
        let visit = pages.visit(request, context, cookie: PageCookies.account, start: false)
        guard let id = visit.accountID, let account = try deps.store.account(id: id), account.state == .active else {
            return nil
        }
        return (visit, account)
    }

    func owned(_ context: SwitchbackRequestContext, _ account: Account) throws -> CallbackRequest? {
        guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0,
              let callback = try deps.store.callbackRequest(id: id), callback.accountID == account.id else { return nil }
        return callback
    }

    func notFound(_ visit: WebPages.Visit) -> Response {
        let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
        return layout.render(title: layout.t(.notFound), PageLayout.message(layout.t(.notFound), error: true), status: .notFound)
    }

    // MARK: - Call me back

    func callPage(_ visit: WebPages.Visit, account: Account, form: PageForm?, error: String?,
                  status: HTTPResponse.Status) -> Response {
        let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
        let limit = deps.scheduler.maxParticipants
        let nonce = PageSessions.randomToken()
        let callForm = HTML.form("/call", csrf: visit.csrf, label: layout.t(.callMeBack),
                                 "<input type=\"hidden\" name=\"nonce\" value=\"\(nonce)\">"
                                    + "<input type=\"hidden\" name=\"mode\" value=\"numbers\">"
                                    + HTML.field("numbers", label: layout.t(.numbers), value: form?["numbers"] ?? "",
                                                 type: "text", hint: layout.t(.numbersHint), attributes: "inputmode=\"tel\"")
                                    + HTML.field("from", label: layout.t(.yourNumber), value: form?["from"] ?? "",
                                                 type: "tel", required: false, hint: layout.t(.yourNumberHint))
                                    + HTML.button(layout.t(.send)))
        let twoForm = HTML.form("/call", csrf: visit.csrf, label: layout.t(.connectTwo),
                                "<input type=\"hidden\" name=\"nonce\" value=\"\(nonce)\">"
                                    + "<input type=\"hidden\" name=\"mode\" value=\"two\">"
                                    + HTML.field("two-from", label: layout.t(.from), value: form?["two-from"] ?? "", type: "tel")
                                    + HTML.field("two-to", label: layout.t(.to), value: form?["two-to"] ?? "", type: "tel")
                                    + HTML.button(layout.t(.send)))
        let intro = String(format: layout.t(.callMeBackIntro), limit)
        let content = (error.map { PageLayout.message($0, error: true) } ?? "") + """
        <div class="two">
        <section aria-labelledby="h-numbers"><h2 id="h-numbers">\(layout.t(.callMeBack))</h2>
        <p id="participants">\(HTML.escape(intro))</p>\(callForm)</section>
        <section aria-labelledby="h-two"><h2 id="h-two">\(layout.t(.connectTwo))</h2>
        <p>\(layout.t(.connectTwoIntro))</p>\(twoForm)</section>
        </div>
        """
        return layout.render(title: layout.t(.callMeBack), content, status: status, headers: visit.headers)
    }

    /// `source`: the browser's address, whose trigger rate budget the request spends (as the API's).
    func placeCall(_ visit: WebPages.Visit, account: Account, form: PageForm, source: String?) throws -> Response {
        let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
        let two = form["mode"] == "two"
        let from = two ? form["two-from"] : form["from"]
        let destinations = two ? [form["two-to"]]
            : form["numbers"].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        func refuse(_ text: String) -> Response {
            deps.metrics.callbackRequest(trigger: "web", outcome: "invalid")
            return callPage(visit, account: account, form: form, error: text, status: .unprocessableContent)
        }
        for number in destinations + (from.isEmpty ? [] : [from]) where !WebPages.isPhoneNumber(number) {
            return refuse("“\(number)” \(layout.t(.invalidNumber))")
        }
        guard let campaign = deps.webCampaign else {
            return callPage(visit, account: account, form: form, error: "callback.web-campaign is not set",
                            status: .serviceUnavailable)
        }
        let nonce = form["nonce"]
        let callerIDs = try deps.store.callerIDs(account: account.id!).map(\.number)
        let order: CallbackScheduler.Order
        do {
            order = try WebCallbackOrder.order(
                trigger: .web, account: account, requester: TriggerRequester(callerID: nil, source: source),
                callerIDs: callerIDs,
                from: from.isEmpty ? nil : from, destinations: destinations, campaign: campaign,
                maxParticipants: deps.scheduler.maxParticipants,
                // The same form sent twice (a double tap, a reload) is one request.
                idempotencyKey: nonce.isEmpty ? nil : "web:\(account.id!):\(nonce.prefix(64))")
        } catch {
            return refuse(error.description)
        }
        let queued: CallbackScheduler.Queued
        do {
            queued = try deps.scheduler.schedule(order)
        } catch {
            deps.metrics.callbackRequest(trigger: "web", outcome: "refused")
            let status: HTTPResponse.Status
            if case .limited = error { status = .tooManyRequests } else { status = .unprocessableContent }
            return callPage(visit, account: account, form: form, error: "\(error)", status: status)
        }
        deps.metrics.callbackRequest(trigger: "web", outcome: queued.isNew ? "queued" : "repeated")
        return PageLayout.redirect("/call/\(queued.request.id!)")
    }

    // MARK: - Status

    func statusPage(_ visit: WebPages.Visit, callback: CallbackRequest, message: String?) throws -> Response {
        let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
        let id = callback.id!
        let legs = CallbackLegs.legs(callback, events: try deps.store.callbackEvents(request: id, after: nil))
        let ended = CallbackRequest.State.terminal.contains(callback.state)
        let labels = Dictionary(uniqueKeysWithValues: Phrase.stateKeywords.map { ($0, Phrase.state($0, visit.language)) })
        let labelJSON = String(decoding: (try? APIRouteSupport.encoder.encode(labels)) ?? Data("{}".utf8), as: UTF8.self)
        func state(_ keyword: String, id: String? = nil) -> String {
            "<span class=\"state\"\(id.map { " id=\"\($0)\"" } ?? "") data-state=\"\(HTML.escape(keyword))\">"
                + HTML.escape(Phrase.state(keyword, visit.language)) + "</span>"
        }
        let rows = legs.map { leg in
            [HTML.escape(leg.leg == .user ? layout.t(.legUser) : layout.t(.legDestination)), HTML.escape(leg.number),
             state(leg.state)]
        }
        let table = HTML.table(caption: layout.t(.status), headers: [layout.t(.leg), layout.t(.number), layout.t(.state)],
                               rows: rows, id: "legs",
                               attributes: "data-events=\"/call/\(id)/events\" data-labels=\"\(HTML.escape(labelJSON))\"")
        let cancel = HTML.form("/call/\(id)/cancel", csrf: visit.csrf, label: layout.t(.cancel),
                               HTML.button(layout.t(.cancel), class: "danger"))
        let content = (message.map { PageLayout.message($0, error: true) } ?? "") + """
        <section aria-labelledby="h-status"><h2 id="h-status">\(layout.t(.requestState)) \(id): \(state(callback.state.rawValue, id: "request-state"))</h2>
        <div aria-live="polite" aria-atomic="false">\(table)</div>
        <p><small>\(layout.t(.liveStatusNote))</small></p>
        <p id="ended" role="status"\(ended ? "" : " hidden")>\(layout.t(.requestEnded)) <a href="/account">\(layout.t(.history))</a></p>
        <div id="cancel"\(ended ? " hidden" : "")>\(cancel)</div>
        </section>
        <p><a href="/call">\(layout.t(.back))</a></p>
        """
        return layout.render(title: layout.t(.pageTitleStatus), content, status: message == nil ? .ok : .conflict,
                             refresh: ended ? nil : 3, script: !ended, headers: visit.headers)
    }

    // MARK: - My account

    func accountPage(_ visit: WebPages.Visit, account: Account, message: String?, status: HTTPResponse.Status) throws -> Response {
        let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
        let id = account.id!
        let free = try deps.store.freeBalance(account: id)
        // The latest legs only: an account's history can be long, and the CSV has all of it.
        let latest = try deps.store.callLegPage(account: id, newestFirst: true, offset: 0, limit: Self.historyRows)
        let legs = latest.items
        let dates = ISO8601DateFormatter()
        let history = legs.isEmpty ? "<p>\(layout.t(.noCalls))</p>" : HTML.table(
            caption: layout.t(latest.total > legs.count ? .historyLatest : .history),
            // What a phone's width shows first: whom, which leg, what it cost.
            headers: [layout.t(.number), layout.t(.leg), layout.t(.cost), layout.t(.seconds), layout.t(.outcome), layout.t(.started)],
            rows: legs.map { leg in
                [HTML.escape(leg.toNumber), HTML.escape(leg.leg.rawValue),
                 "<span class=\"cost\">\(HTML.escape(leg.cost.amountString)) \(HTML.escape(leg.currency))</span>",
                 String(leg.billedSeconds), HTML.escape(leg.disposition.rawValue),
                 "<time datetime=\"\(dates.string(from: leg.startedAt))\">\(HTML.escape(Self.shortTime(leg.startedAt)))</time>"]
            }, id: "history")
        let callerIDs = try deps.store.callerIDs(account: id)
        let callerTable = HTML.table(caption: layout.t(.callerIDs), headers: [layout.t(.number), layout.t(.remove)],
                                     rows: callerIDs.map { caller in
                                         [HTML.escape(caller.number),
                                          HTML.form("/account/caller-id-remove", csrf: visit.csrf,
                                                    label: "\(layout.t(.remove)) \(caller.number)",
                                                    "<input type=\"hidden\" name=\"number\" value=\"\(HTML.escape(caller.number))\">"
                                                        + HTML.button(layout.t(.remove), class: "secondary"))]
                                     }, id: "caller-ids")
        let callerForm = HTML.form("/account/caller-id-add", csrf: visit.csrf, class: "inline", label: layout.t(.callerIDs),
                                   HTML.field("callerid", label: layout.t(.number), type: "tel") + HTML.button(layout.t(.add)))
        let book = try deps.store.addressBook(account: id)
        let bookTable = HTML.table(caption: layout.t(.addressBook), headers: [layout.t(.entry), layout.t(.name), layout.t(.number), layout.t(.remove)],
                                   rows: book.map { entry in
                                       ["N\(entry.slot)", HTML.escape(entry.name), HTML.escape(entry.number),
                                        HTML.form("/account/address-remove", csrf: visit.csrf,
                                                  label: "\(layout.t(.remove)) N\(entry.slot)",
                                                  "<input type=\"hidden\" name=\"slot\" value=\"\(entry.slot)\">"
                                                    + HTML.button(layout.t(.remove), class: "secondary"))]
                                   }, id: "address-book")
        let bookForm = HTML.form("/account/address-add", csrf: visit.csrf, class: "inline", label: layout.t(.addressBook),
                                 HTML.field("name", label: layout.t(.name)) + HTML.field("number", label: layout.t(.number), type: "tel")
                                    + HTML.button(layout.t(.add)))
        let modes = ForwardMode.allCases.map { mode in
            "<option value=\"\(mode.rawValue)\"\(mode == account.forwardMode ? " selected" : "")>\(mode.rawValue)</option>"
        }.joined()
        let forwardForm = HTML.form("/account/forward", csrf: visit.csrf, label: layout.t(.forward),
                                    HTML.field("forward", label: layout.t(.forwardNumber), value: account.forwardNumber ?? "",
                                               type: "tel", required: false)
                                        + "<p class=\"field\"><label for=\"f-mode\">\(layout.t(.forwardMode))</label>"
                                        + "<select id=\"f-mode\" name=\"mode\">\(modes)</select></p>"
                                        + HTML.field("after", label: layout.t(.forwardAfter), value: String(account.forwardAfterSeconds),
                                                     type: "number", attributes: "min=\"1\" max=\"300\"")
                                        + HTML.button(layout.t(.save)))
        let content = (message ?? "") + """
        <section aria-labelledby="h-balance"><h2 id="h-balance">\(HTML.escape(account.login))</h2>
        <dl><dt>\(layout.t(.balance))</dt><dd id="balance">\(HTML.escape(account.balance.amountString)) \(HTML.escape(account.currency))</dd>
        <dt>\(layout.t(.freeBalance))</dt><dd id="free-balance">\(HTML.escape(free.amountString)) \(HTML.escape(free.currency))</dd></dl>
        </section>
        <section aria-labelledby="h-history"><h2 id="h-history">\(layout.t(.history))</h2>\(history)
        <p><a href="/account/calls.csv" download>\(layout.t(.downloadCSV))</a></p></section>
        <div class="two">
        <section aria-labelledby="h-callers"><h2 id="h-callers">\(layout.t(.callerIDs))</h2><p>\(layout.t(.callerIDsIntro))</p>
        \(callerTable)\(callerForm)</section>
        <section aria-labelledby="h-book"><h2 id="h-book">\(layout.t(.addressBook))</h2><p>\(layout.t(.addressBookIntro))</p>
        \(bookTable)\(bookForm)</section>
        </div>
        <section aria-labelledby="h-forward"><h2 id="h-forward">\(layout.t(.forward))</h2>\(forwardForm)</section>
        """
        return layout.render(title: layout.t(.myAccount), content, status: status, headers: visit.headers)
    }

    /// `2026-12-06 02:22` (UTC): short enough for a phone's column.
    static func shortTime(_ date: Date) -> String {
        let format = DateFormatter()
        format.locale = Locale(identifier: "en_US_POSIX")
        format.timeZone = TimeZone(identifier: "UTC")
        format.dateFormat = "yyyy-MM-dd HH:mm"
        return format.string(from: date)
    }

    /// One change posted from "my account"; a mistake shows the page again with the error.
    func change(_ what: String, form: PageForm, visit: WebPages.Visit, account: Account) throws -> Response {
        let layout = PageLayout(language: visit.language, navigation: .account, csrf: visit.csrf)
        let id = account.id!
        func invalid(_ number: String) -> Response? {
            WebPages.isPhoneNumber(number) ? nil : (try? accountPage(visit, account: account,
                message: PageLayout.message("“\(number)” \(layout.t(.invalidNumber))", error: true), status: .unprocessableContent))
        }
        do {
            switch what {
            case "caller-id-add":
                if let refusal = invalid(form["callerid"]) { return refusal }
                _ = try deps.store.authoriseCallerID(form["callerid"], account: id, at: deps.now())
            case "caller-id-remove":
                try deps.store.revokeCallerID(form["number"], account: id)
            case "address-add":
                if let refusal = invalid(form["number"]) { return refusal }
                _ = try deps.store.addAddressBookEntry(account: id, slot: nil, name: form["name"], number: form["number"])
            case "address-remove":
                try deps.store.removeAddressBookEntry(account: id, slotOrName: form["slot"])
            case "forward":
                let number = form["forward"]
                if !number.isEmpty, let refusal = invalid(number) { return refusal }
                guard let mode = ForwardMode(rawValue: form["mode"]) else {
                    return try accountPage(visit, account: account, message: PageLayout.message("mode: \(form["mode"])", error: true),
                                           status: .unprocessableContent)
                }
                _ = try deps.store.setForwarding(number: number.isEmpty ? nil : number, mode: mode,
                                                 afterSeconds: Int(form["after"]) ?? account.forwardAfterSeconds, account: id)
            default:
                return notFound(visit)
            }
        } catch {
            guard let text = WebPages.userError(error) else { throw error }
            return try accountPage(visit, account: try deps.store.account(id: id) ?? account,
                                   message: PageLayout.message(text, error: true), status: .unprocessableContent)
        }
        return PageLayout.redirect("/account?saved=1")
    }
}
