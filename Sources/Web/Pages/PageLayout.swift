import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Switchboard

/// The frame of every page: landmarks (header with the navigation, main, footer), a skip
/// link, the language, the style sheet and script served by this binary, and headers that
/// keep the page from loading anything from elsewhere (`Content-Security-Policy`).
struct PageLayout {
    enum Navigation { case visitor, account, operatorPages }

    var language: PageLanguage
    var navigation: Navigation
    var csrf: String

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        HTTPField.Name("X-Content-Type-Options")!: "nosniff",
        HTTPField.Name("Referrer-Policy")!: "same-origin",
        .cacheControl: "no-store",
    ]

    func t(_ phrase: Phrase) -> String { phrase.text(language) }

    /// `content` is HTML built with `HTML`'s escaping; `refresh` adds a meta refresh for
    /// browsers without JavaScript (inside `<noscript>`, so the live script is not reloaded).
    func render(title: String, _ content: String, status: HTTPResponse.Status = .ok, refresh: Int? = nil,
                script: Bool = false, headers: [HTTPField] = []) -> Response {
        let html = """
        <!DOCTYPE html>
        <html lang="\(language.rawValue)">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTML.escape(title)) · \(t(.siteName))</title>
        <link rel="stylesheet" href="/assets/site.css">
        \(refresh.map { "<noscript><meta http-equiv=\"refresh\" content=\"\($0)\"></noscript>" } ?? "")
        \(script ? "<script src=\"/assets/live.js\" defer></script>" : "")
        </head>
        <body>
        <a class="skip" href="#main">\(t(.skipToContent))</a>
        <header><p class="brand">\(t(.siteName))</p>\(nav)</header>
        <main id="main">
        <h1>\(HTML.escape(title))</h1>
        \(content)
        </main>
        <footer><p><small>Switchback \(HTML.escape(SwitchbackVersion.current))</small></p></footer>
        </body>
        </html>
        """
        var fields = Self.securityHeaders
        fields[.contentType] = "text/html; charset=utf-8"
        fields[.contentLanguage] = language.rawValue
        fields[.vary] = "Accept-Language, Cookie"
        for header in headers { fields.append(header) }
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    private var nav: String {
        let items: [String]
        switch navigation {
        case .visitor:
            items = ["<li><a href=\"/sign-in\">\(t(.signIn))</a></li>"]
        case .account:
            items = ["<li><a href=\"/call\">\(t(.callMeBack))</a></li>",
                     "<li><a href=\"/account\">\(t(.myAccount))</a></li>",
                     "<li>" + HTML.form("/sign-out", csrf: csrf, HTML.button(t(.signOut))) + "</li>"]
        case .operatorPages:
            items = ["<li><a href=\"/operator\">\(t(.operatorPages))</a></li>",
                     "<li>" + HTML.form("/operator/sign-out", csrf: csrf, HTML.button(t(.signOut))) + "</li>"]
        }
        return "<nav aria-label=\"\(t(.mainNavigation))\"><ul>" + items.joined() + "</ul></nav>"
    }

    static func redirect(_ location: String, headers: [HTTPField] = []) -> Response {
        var fields: HTTPFields = [.location: location, .cacheControl: "no-store"]
        for header in headers { fields.append(header) }
        return Response(status: .seeOther, headers: fields)
    }

    static func message(_ text: String, error: Bool = false) -> String {
        "<p class=\"\(error ? "error" : "notice")\" role=\"\(error ? "alert" : "status")\">\(HTML.escape(text))</p>"
    }
}
