import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The pages' cookies (RFC 6265): only a session id, `HttpOnly` (no script reads it),
/// `SameSite=Strict` (no other site's page sends it along), `Secure` when the page was
/// reached over TLS, `Path=/`.
enum PageCookies {
    static let account = "sb_session"
    static let operatorName = "sb_operator"

    /// The value of cookie `name` in the request's `Cookie` headers.
    static func value(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for item in header.split(separator: ";") {
                let parts = item.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                if !value.isEmpty { return value }
            }
        }
        return nil
    }

    static func set(_ name: String, _ value: String, secure: Bool) -> HTTPField {
        HTTPField(name: .setCookie, value: "\(name)=\(value); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")")
    }

    static func clear(_ name: String, secure: Bool) -> HTTPField {
        HTTPField(name: .setCookie,
                  value: "\(name)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")")
    }

    /// TLS reached the page when the settings say so (a TLS front end always there), or a
    /// trusted proxy (one on the loopback interface) says `X-Forwarded-Proto: https`.
    static func isSecure(_ request: Request, remoteAddress: SocketAddress?, configured: Bool) -> Bool {
        if configured { return true }
        guard let proto = request.headers[HTTPField.Name("X-Forwarded-Proto")!] else { return false }
        return proto.lowercased().split(separator: ",").first?.trimmingCharacters(in: .whitespaces) == "https"
            && AdminAccessMiddleware<SwitchbackRequestContext>.isLoopback(remoteAddress)
    }
}
