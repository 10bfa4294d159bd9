import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Store
import Switchboard
@testable import Web
import XCTest

/// The pages at `/` without sockets: sign-in with the session cookie's flags, CSRF
/// refusal, the lockout shared with the API, hostile text shown as text, the callback
/// form and its status page, the account's changes, the operator's pages, German.
final class WebPagesTests: XCTestCase {
    func application(_ bed: APITestBed, secure: Bool = false) -> some ApplicationProtocol {
        let router = Router(context: SwitchbackRequestContext.self)
        APIv1.add(to: router, bed.deps)
        WebPages.add(to: router, bed.deps, secureCookies: secure)
        return Application(router: router)
    }

    /// A browser's memory between requests: the cookies it was given.
    struct Browser {
        var cookies: [String: String] = [:]
        var language = "en"

        var headers: HTTPFields {
            var fields: HTTPFields = [.acceptLanguage: language]
            if !cookies.isEmpty {
                fields[.cookie] = cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")
            }
            return fields
        }

        mutating func keep(_ response: TestResponse) {
            for header in response.headers[values: .setCookie] {
                let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let value = pair.count > 1 ? String(pair[1]) : ""
                cookies[String(pair[0])] = value.isEmpty ? nil : value
            }
        }

        func get(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
            try await client.execute(uri: uri, method: .get, headers: headers)
        }

        mutating func getKeeping(_ client: some TestClientProtocol, _ uri: String) async throws -> TestResponse {
            let response = try await get(client, uri)
            keep(response)
            return response
        }

        mutating func post(_ client: some TestClientProtocol, _ uri: String, _ form: [(String, String)]) async throws -> TestResponse {
            var fields = headers
            fields[.contentType] = "application/x-www-form-urlencoded"
            let text = form.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&")
            let response = try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: text))
            keep(response)
            return response
        }
    }

    static func csrf(_ html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    /// Signs in as alice; returns the browser and a CSRF token of the signed-in session.
    static func signIn(_ client: some TestClientProtocol, password: String = "wonderland") async throws -> (Browser, String) {
        var browser = Browser()
        let page = try await browser.getKeeping(client, "/sign-in")
        let token = try XCTUnwrap(Self.csrf(page.text))
        let response = try await browser.post(client, "/sign-in", [("csrf", token), ("login", "alice"), ("password", password)])
        XCTAssertEqual(response.status, .seeOther)
        XCTAssertEqual(response.headers[.location], "/call")
        let call = try await browser.get(client, "/call")
        return (browser, try XCTUnwrap(Self.csrf(call.text)))
    }

    // MARK: - Sign-in

    func testSignInSetsAnHttpOnlySameSiteStrictCookieAndLeadsToTheCallPage() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            var browser = Browser()
            let page = try await browser.getKeeping(client, "/sign-in")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains(#"<label for="f-login">"#), "every field has its label")
            XCTAssertTrue(page.text.contains("<main id=\"main\">"))
            let token = try XCTUnwrap(Self.csrf(page.text))
            let response = try await browser.post(client, "/sign-in", [("csrf", token), ("login", "alice"), ("password", "wonderland")])
            let cookie = try XCTUnwrap(response.headers[.setCookie])
            XCTAssertTrue(cookie.hasPrefix("sb_session="))
            XCTAssertTrue(cookie.contains("HttpOnly"))
            XCTAssertTrue(cookie.contains("SameSite=Strict"))
            XCTAssertFalse(cookie.contains("Secure"), "plain HTTP without a TLS front end")
            let call = try await browser.get(client, "/call")
            XCTAssertEqual(call.status, .ok)
            XCTAssertTrue(call.text.contains("up to 3 people"), "max-participants is said on the page")
            XCTAssertEqual(call.headers[.contentSecurityPolicy].map { $0.contains("default-src 'self'") }, true)
        }
    }

    func testCookiesAreSecureWhenConfiguredOrBehindALoopbackTLSProxy() async throws {
        let bed = try APITestBed()
        try await application(bed, secure: true).test(.router) { client in
            let page = try await client.execute(uri: "/sign-in", method: .get)
            XCTAssertEqual(page.headers[.setCookie].map { $0.contains("; Secure") }, true)
        }
        try await application(bed).test(.live) { client in
            let page = try await client.execute(uri: "/sign-in", method: .get,
                                                headers: [HTTPField.Name("X-Forwarded-Proto")!: "https"])
            XCTAssertEqual(page.headers[.setCookie].map { $0.contains("; Secure") }, true,
                           "a proxy on loopback said the page was reached over TLS")
            let plain = try await client.execute(uri: "/sign-in", method: .get)
            XCTAssertEqual(plain.headers[.setCookie].map { $0.contains("; Secure") }, false)
        }
    }

    func testWithoutASessionThePagesSendToSignIn() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            for uri in ["/", "/call", "/account", "/call/1"] {
                let response = try await client.execute(uri: uri, method: .get)
                XCTAssertEqual(response.status, .seeOther, uri)
                XCTAssertEqual(response.headers[.location], "/sign-in", uri)
            }
        }
    }

    func testAPostWithoutTheSessionsCSRFTokenIsRefused() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            var stranger = Browser()
            _ = try await stranger.getKeeping(client, "/sign-in")
            let forged = try await stranger.post(client, "/sign-in", [("csrf", "0123"), ("login", "alice"), ("password", "wonderland")])
            XCTAssertEqual(forged.status, .forbidden)
            XCTAssertNil(forged.headers[.location])
            var noCookie = Browser()
            let answer1 = try await noCookie.post(client, "/sign-in", [("login", "alice"), ("password", "wonderland")])
            XCTAssertEqual(answer1.status, .forbidden)

            let (browser, _) = try await Self.signIn(client)
            var signedIn = browser
            let missing = try await signedIn.post(client, "/call", [("numbers", "4930222")])
            XCTAssertEqual(missing.status, .forbidden)
            XCTAssertEqual(try bed.store.callbackRequests(states: CallbackRequest.State.allCases).count, 0)
        }
    }

    func testWrongPasswordsLockTheLoginOutWithTheAPIsCounter() async throws {
        let bed = try APITestBed(lockoutAttempts: 3)
        try await application(bed).test(.router) { client in
            var browser = Browser()
            let answer2 = try await browser.getKeeping(client, "/sign-in")
            let token = try XCTUnwrap(Self.csrf(answer2.text))
            // One failure through the API, two on the page: three in all.
            let api = try await client.execute(uri: "/api/v1/account", method: .get,
                                               headers: [.authorization: APITestBed.basic("alice", "guess")])
            XCTAssertEqual(api.status, .unauthorized)
            for _ in 0..<2 {
                let wrong = try await browser.post(client, "/sign-in", [("csrf", token), ("login", "alice"), ("password", "guess")])
                XCTAssertEqual(wrong.status, .unauthorized)
                XCTAssertTrue(wrong.text.contains("Wrong login or password."))
            }
            let right = try await browser.post(client, "/sign-in", [("csrf", token), ("login", "alice"), ("password", "wonderland")])
            XCTAssertEqual(right.status, .tooManyRequests)
            XCTAssertTrue(right.text.contains("Too many failed sign-ins"))
            XCTAssertEqual(right.headers[.retryAfter], "900")
            let viaAPI = try await client.execute(uri: "/api/v1/account", method: .get, headers: APITestBed.alice)
            XCTAssertEqual(viaAPI.status, .tooManyRequests, "the page's failures lock the API too")
        }
    }

    func testSignOutEndsTheSession() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            var (browser, token) = try await Self.signIn(client)
            let out = try await browser.post(client, "/sign-out", [("csrf", token)])
            XCTAssertEqual(out.status, .seeOther)
            XCTAssertNil(browser.cookies["sb_session"], "the cookie is cleared")
            let answer3 = try await browser.get(client, "/account")
            XCTAssertEqual(answer3.headers[.location], "/sign-in")
        }
    }

    // MARK: - Hostile input

    func testHostileTextIsShownEscaped() async throws {
        let bed = try APITestBed()
        _ = try bed.store.addAddressBookEntry(account: bed.alice.id!, slot: nil, name: "<script>alert(1)</script>",
                                              number: "4930999")
        try await application(bed).test(.router) { client in
            var (browser, token) = try await Self.signIn(client)
            let account = try await browser.get(client, "/account")
            XCTAssertFalse(account.text.contains("<script>alert(1)</script>"))
            XCTAssertTrue(account.text.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            let bad = try await browser.post(client, "/call", [("csrf", token), ("mode", "numbers"),
                                                                ("numbers", "4930222, \"><img src=x onerror=alert(1)>")])
            XCTAssertEqual(bad.status, .unprocessableContent)
            XCTAssertFalse(bad.text.contains("<img src=x"))
            XCTAssertTrue(bad.text.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
            let callerID = try await browser.post(client, "/account/caller-id-add", [("csrf", token), ("callerid", "<script>")])
            XCTAssertEqual(callerID.status, .unprocessableContent)
            XCTAssertTrue(callerID.text.contains("“&lt;script&gt;” is not a phone number"))
        }
    }

    // MARK: - Call me back

    func testSeveralNumbersQueueOneConferenceRequestAndTheStatusPageShowsItsLegs() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            var (browser, token) = try await Self.signIn(client)
            let sent = try await browser.post(client, "/call", [("csrf", token), ("mode", "numbers"), ("nonce", "n1"),
                                                                ("numbers", "4930222, 4930333")])
            XCTAssertEqual(sent.status, .seeOther)
            let location = try XCTUnwrap(sent.headers[.location])
            let requests = try bed.store.callbackRequests(states: CallbackRequest.State.allCases)
            XCTAssertEqual(requests.count, 1)
            XCTAssertEqual(requests.first?.destinations, ["4930222", "4930333"])
            XCTAssertEqual(requests.first?.trigger, .web)
            XCTAssertEqual(location, "/call/\(requests[0].id!)")
            let again = try await browser.post(client, "/call", [("csrf", token), ("mode", "numbers"), ("nonce", "n1"),
                                                                 ("numbers", "4930222, 4930333")])
            XCTAssertEqual(again.headers[.location], location, "the same form sent twice is one request")

            let status = try await browser.get(client, location)
            XCTAssertEqual(status.status, .ok)
            XCTAssertTrue(status.text.contains(#"aria-live="polite""#))
            XCTAssertTrue(status.text.contains(#"data-events="\#(location)/events""#))
            XCTAssertTrue(status.text.contains(#"<noscript><meta http-equiv="refresh" content="3"></noscript>"#))
            XCTAssertEqual(status.text.components(separatedBy: #"data-state="queued""#).count - 1, 4,
                           "the request and its three legs are queued")

            let cancelled = try await browser.post(client, "\(location)/cancel", [("csrf", token)])
            XCTAssertEqual(cancelled.status, .seeOther)
            let after = try await browser.get(client, location)
            XCTAssertTrue(after.text.contains(#"id="request-state" data-state="cancelled""#))
            XCTAssertFalse(after.text.contains("http-equiv=\"refresh\""), "an ended request stops refreshing")

            let stream = try await browser.get(client, "\(location)/events")
            XCTAssertEqual(stream.headers[.contentType], "text/event-stream")
            XCTAssertTrue(stream.text.contains(#""state":"cancelled""#))
        }
    }

    func testTooManyNumbersAreRefusedWithTheLimit() async throws {
        let bed = try APITestBed(maxParticipants: 3)
        try await application(bed).test(.router) { client in
            var (browser, token) = try await Self.signIn(client)
            let response = try await browser.post(client, "/call", [("csrf", token), ("mode", "numbers"),
                                                                    ("numbers", "4930222,4930333,4930444")])
            XCTAssertEqual(response.status, .unprocessableContent)
            XCTAssertTrue(response.text.contains("max-participants is 3"))
        }
    }

    func testConnectTwoQueuesABridgeFromTheFirstNumber() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            var (browser, token) = try await Self.signIn(client)
            let response = try await browser.post(client, "/call", [("csrf", token), ("mode", "two"), ("two-from", "4930111"),
                                                                    ("two-to", "4930555")])
            XCTAssertEqual(response.status, .seeOther)
            let request = try XCTUnwrap(try bed.store.callbackRequests(states: CallbackRequest.State.allCases).first)
            XCTAssertEqual(request.originNumber, "4930111")
            XCTAssertEqual(request.destinations, ["4930555"])
        }
    }

    func testAnotherAccountsRequestIsNotFound() async throws {
        let bed = try APITestBed()
        let bob = try bed.store.createAccount(NewAccount(login: "bob", password: "builder", sipRealm: "r",
                                                         initialBalance: try .parse("1", currency: "EUR"),
                                                         forwardNumber: "4930666"), at: Date())
        let order = try WebCallbackOrder.order(trigger: .web, account: bob, requester: TriggerRequester(callerID: nil, source: "127.0.0.1"), callerIDs: [], from: nil, destinations: ["4930777"],
                                               campaign: "web-callback", maxParticipants: 3, idempotencyKey: nil)
        let bobs = try bed.scheduler.schedule(order).request
        try await application(bed).test(.router) { client in
            let (browser, _) = try await Self.signIn(client)
            let answer4 = try await browser.get(client, "/call/\(bobs.id!)")
            XCTAssertEqual(answer4.status, .notFound)
            let answer5 = try await browser.get(client, "/call/\(bobs.id!)/events")
            XCTAssertEqual(answer5.status, .notFound)
        }
    }

    // MARK: - My account

    func testTheAccountPageChangesCallerIDsAddressBookAndForwarding() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            var (browser, token) = try await Self.signIn(client)
            let account = try await browser.get(client, "/account")
            XCTAssertTrue(account.text.contains(#"<dd id="balance">5.0000 EUR</dd>"#))
            XCTAssertTrue(account.text.contains(#"<dd id="free-balance">5.0000 EUR</dd>"#))
            let answer6 = try await browser.post(client, "/account/caller-id-add", [("csrf", token), ("callerid", "4930444")])
            XCTAssertEqual(answer6.status,
                           .seeOther)
            XCTAssertEqual(try bed.store.callerIDs(account: bed.alice.id!).map(\.number).sorted(), ["4930111", "4930444"])
            _ = try await browser.post(client, "/account/caller-id-remove", [("csrf", token), ("number", "4930111")])
            XCTAssertEqual(try bed.store.callerIDs(account: bed.alice.id!).map(\.number), ["4930444"])
            _ = try await browser.post(client, "/account/address-add", [("csrf", token), ("name", "mum"), ("number", "4930888")])
            let book = try await browser.get(client, "/account")
            XCTAssertTrue(book.text.contains("<td>N1</td><td>mum</td><td>4930888</td>"))
            _ = try await browser.post(client, "/account/forward", [("csrf", token), ("forward", "4930999"), ("mode", "fork"),
                                                                    ("after", "15")])
            let updated = try XCTUnwrap(try bed.store.account(id: bed.alice.id!))
            XCTAssertEqual(updated.forwardNumber, "4930999")
            XCTAssertEqual(updated.forwardMode.rawValue, "fork")
            XCTAssertEqual(updated.forwardAfterSeconds, 15)
            let csv = try await browser.get(client, "/account/calls.csv")
            XCTAssertEqual(csv.headers[.contentType], "text/csv; charset=utf-8")
            XCTAssertTrue(csv.text.hasPrefix(CallRecord.csvHeader))
        }
    }

    // MARK: - Operator

    func testTheOperatorSignsInWithTheTokenAndCreatesCreditsAndLocksAccounts() async throws {
        let bed = try APITestBed(adminToken: "s3cret")
        try await application(bed).test(.router) { client in
            var browser = Browser()
            let page = try await browser.getKeeping(client, "/operator")
            let token = try XCTUnwrap(Self.csrf(page.text))
            let answer7 = try await browser.post(client, "/operator/sign-in", [("csrf", token), ("token", "nope")])
            XCTAssertEqual(answer7.status,
                           .unauthorized)
            let signedIn = try await browser.post(client, "/operator/sign-in", [("csrf", token), ("token", "s3cret")])
            XCTAssertEqual(signedIn.status, .seeOther)
            XCTAssertNotNil(browser.cookies["sb_operator"])
            XCTAssertNil(browser.cookies["sb_session"], "the operator's cookie is its own")
            let dashboard = try await browser.get(client, "/operator")
            XCTAssertTrue(dashboard.text.contains(#"<p id="active-calls" class="state">7</p>"#))
            let csrf = try XCTUnwrap(Self.csrf(dashboard.text))
            let created = try await browser.post(client, "/operator/accounts", [("csrf", csrf), ("login", "carol"),
                                                                                ("password", "pw12345"), ("balance", "2.50 EUR")])
            XCTAssertEqual(created.status, .seeOther, created.text)
            let carol = try XCTUnwrap(try bed.store.account(login: "carol"))
            XCTAssertEqual(carol.balance.amountString, "2.5000")
            _ = try await browser.post(client, "/operator/accounts/carol/credit", [("csrf", csrf), ("amount", "1.25 EUR")])
            XCTAssertEqual(try bed.store.account(login: "carol")?.balance.amountString, "3.7500")
            _ = try await browser.post(client, "/operator/accounts/carol/lock", [("csrf", csrf)])
            XCTAssertEqual(try bed.store.account(login: "carol")?.state, .locked)
            let wrong = try await browser.post(client, "/operator/accounts/carol/credit", [("csrf", csrf), ("amount", "lots")])
            XCTAssertEqual(wrong.status, .unprocessableContent)
            XCTAssertTrue(wrong.text.contains("expected an amount and a currency"))

            _ = try bed.store.createLot(named: "promo", accounts: [
                NewAccount(login: "promo-1", password: "x", sipRealm: "r", initialBalance: try .parse("1", currency: "EUR")),
            ], at: Date())
            let csv = try await browser.get(client, "/operator/lots/promo/accounts.csv")
            XCTAssertEqual(csv.status, .ok)
            XCTAssertTrue(csv.text.contains("promo-1,active,1.0000,EUR"))
            let anonymous = try await Browser().get(client, "/operator/lots/promo/accounts.csv")
            XCTAssertEqual(anonymous.status, .seeOther,
                           "the CSV needs the operator's session")
        }
    }

    // MARK: - Language

    /// Thousands of generated cards must not make the dashboard list (and query the free
    /// balance of) every account: a page of 50 by login, a prefix search, links between pages.
    func testTheDashboardListsAccountsAPageAtATimeAndFindsThemByLogin() async throws {
        let bed = try APITestBed(adminToken: "s3cret")
        for number in 1...120 {
            _ = try bed.store.createAccount(NewAccount(login: String(format: "card-%03d", number), password: "pw", sipRealm: "r",
                                                       initialBalance: try .parse("1", currency: "EUR")), at: Date())
        }
        let total = try bed.store.accountPage(loginPrefix: nil, offset: 0, limit: 0).total
        try await application(bed).test(.router) { client in
            var browser = Browser()
            let page = try await browser.getKeeping(client, "/operator")
            let token = try XCTUnwrap(Self.csrf(page.text))
            _ = try await browser.post(client, "/operator/sign-in", [("csrf", token), ("token", "s3cret")])
            let first = try await browser.get(client, "/operator")
            let rows = { (text: String) in text.components(separatedBy: "/credit\"").count - 1 }
            XCTAssertEqual(rows(first.text), 50)
            XCTAssertTrue(first.text.contains("<caption>Accounts 1–50 / \(total)</caption>"), first.text)
            XCTAssertTrue(first.text.contains(#"<a rel="next" href="/operator?page=2">"#))
            XCTAssertFalse(first.text.contains(#"rel="prev""#))
            let cards = try await browser.get(client, "/operator?login=card-1&page=1")
            XCTAssertEqual(rows(cards.text), 21, "card-100 … card-120")
            XCTAssertTrue(cards.text.contains("<td>card-120</td>"))
            XCTAssertFalse(cards.text.contains("<td>card-099</td>"))
            XCTAssertTrue(cards.text.contains(#"value="card-1""#), "the search stays in its field")
            let last = try await browser.get(client, "/operator?login=card-&page=3")
            XCTAssertEqual(rows(last.text), 20)
            XCTAssertTrue(last.text.contains(#"<a rel="prev" href="/operator?login=card-&amp;page=2">"#), last.text)
            XCTAssertFalse(last.text.contains(#"rel="next""#))
            let hostile = try await browser.get(client, "/operator?login=%3Cscript%3E&page=-4")
            XCTAssertEqual(hostile.status, .ok)
            XCTAssertTrue(hostile.text.contains("&lt;script&gt;") && !hostile.text.contains("<script>"))
        }
    }

    func testGermanIsChosenByAcceptLanguage() async throws {
        let bed = try APITestBed()
        try await application(bed).test(.router) { client in
            var browser = Browser()
            browser.language = "fr;q=0.9, de-DE;q=0.8, en;q=0.5"
            let page = try await browser.get(client, "/sign-in")
            XCTAssertTrue(page.text.contains(#"<html lang="de">"#))
            XCTAssertTrue(page.text.contains("Anmelden"))
            XCTAssertEqual(page.headers[.contentLanguage], "de")
        }
        XCTAssertEqual(PageLanguage.preferred("en-GB,de;q=0.9"), .en)
        XCTAssertEqual(PageLanguage.preferred("de;q=0, en;q=0.1"), .en)
        XCTAssertEqual(PageLanguage.preferred(nil), .en)
    }

    func testEscapingCoversTheFiveCharacters() {
        XCTAssertEqual(HTML.escape(#"<a href="x" title='y'>&</a>"#),
                       "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;")
    }
}
