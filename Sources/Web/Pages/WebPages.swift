import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store
import Switchboard

/// The pages at `/`: sign-in, "call me back" with its live status, the account's own
/// data, and the operator's pages. They work through the same services as `/api/v1`
/// (`APIDependencies`: the store's protocols, the one scheduler, the same lockout
/// counter), rendered as HTML with a small script of our own.
struct WebPages: Sendable {
    let deps: APIDependencies
    let sessions: PageSessions
    /// Always mark cookies `Secure` (a TLS front end is always there).
    let secureCookies: Bool

    static func add(to router: Router<SwitchbackRequestContext>, _ deps: APIDependencies,
                    sessions: PageSessions = PageSessions(), secureCookies: Bool = false) {
        let pages = WebPages(deps: deps, sessions: sessions, secureCookies: secureCookies)
        router.get("assets/site.css") { _, _ in asset(PageAssets.css, type: "text/css; charset=utf-8") }
        router.get("assets/live.js") { _, _ in asset(PageAssets.liveScript, type: "text/javascript; charset=utf-8") }
        AccountPages(pages: pages).add(to: router)
        OperatorPages(pages: pages).add(to: router)
    }

    static func asset(_ text: String, type: String) -> Response {
        var fields = PageLayout.securityHeaders
        fields[.contentType] = type
        fields[.cacheControl] = "max-age=3600"
        return Response(status: .ok, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// One request as the pages see it: its language, whether it came over TLS, and the
    /// session of cookie `cookie` (a new visitor session when there was none and `start`).
    struct Visit {
        var language: PageLanguage
        var secure: Bool
        var sessionID: String?
        var session: PageSessions.Session?
        /// Set when this response must hand out a new session cookie.
        var cookie: HTTPField?

        var csrf: String { session?.csrf ?? "" }
        var accountID: Int64? {
            if case .account(let id) = session?.holder { return id }
            return nil
        }
        var isOperator: Bool { session?.holder == .operatorToken }
        var headers: [HTTPField] { cookie.map { [$0] } ?? [] }
    }

    func visit(_ request: Request, _ context: SwitchbackRequestContext, cookie name: String, start: Bool) -> Visit {
        let secure = PageCookies.isSecure(request, remoteAddress: context.remoteAddress, configured: secureCookies)
        let id = PageCookies.value(name, in: request)
        var visit = Visit(language: PageLanguage.preferred(request.headers[.acceptLanguage]), secure: secure,
                          sessionID: id, session: sessions.session(id, now: deps.now()), cookie: nil)
        if visit.session == nil && start {
            let (newID, session) = sessions.start(.visitor, now: deps.now())
            visit.sessionID = newID
            visit.session = session
            visit.cookie = PageCookies.set(name, newID, secure: secure)
        }
        return visit
    }

    /// The posted form, if its CSRF token is the session's; nil otherwise.
    func checkedForm(_ request: Request, _ visit: Visit) async throws -> PageForm? {
        let form = try await PageForm.read(request)
        guard let session = visit.session, !session.csrf.isEmpty,
              AdminAccessMiddleware<SwitchbackRequestContext>.constantTimeEqual(form["csrf"], session.csrf) else {
            return nil
        }
        return form
    }

    func csrfRejected(_ visit: Visit) -> Response {
        let layout = PageLayout(language: visit.language, navigation: .visitor, csrf: visit.csrf)
        return layout.render(title: layout.t(.signIn), PageLayout.message(layout.t(.csrfRejected), error: true)
                                + "<p><a href=\"/\">\(layout.t(.signIn))</a></p>",
                             status: .forbidden, headers: visit.headers)
    }

    /// A store error the user caused, in words; nil for the server's own failures.
    static func userError(_ error: any Error) -> String? {
        if let problem = error as? APIProblem { return problem.detail }
        if let forwarding = error as? InvalidForwarding { return forwarding.description }
        return APIRouteSupport.problem(for: error)?.detail
    }

    /// 2 to 20 digits with an optional leading `+`, as the API's schema says.
    static func isPhoneNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        return (2...20).contains(digits.count) && digits.allSatisfy { $0.isASCII && $0.isNumber }
    }

    static func csv(_ text: String, filename: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                                        .contentDisposition: "attachment; filename=\"\(filename)\""],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
