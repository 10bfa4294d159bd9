import Foundation
import Hummingbird
import NIOCore

/// Guards the admin routes. With `http.admin-token` set, a request needs
/// `Authorization: Bearer <token>` (RFC 6750 §2.1), else 401 with a `WWW-Authenticate`
/// challenge (§3). Without a token only loopback clients are let in (403 otherwise): an
/// unconfigured server must not be reloadable from the network.
public struct AdminAccessMiddleware<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let token: String?

    public init(token: String?) {
        self.token = token
    }

    public func handle(_ request: Request, context: Context,
                       next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token {
            guard let presented = Self.bearerToken(request.headers[.authorization]),
                  Self.constantTimeEqual(presented, token) else {
                return AdminRoutes.json(status: .unauthorized, AdminRoutes.Problem(error: "admin routes need Authorization: Bearer <http.admin-token>"),
                                        headers: [.wwwAuthenticate: #"Bearer realm="switchback-admin""#])
            }
        } else {
            guard Self.isLoopback(context.remoteAddress) else {
                return AdminRoutes.json(status: .forbidden, AdminRoutes.Problem(error: "admin routes are open to loopback clients only; set http.admin-token to allow others"))
            }
        }
        return try await next(request, context)
    }

    /// The token of `Bearer <token>` (the scheme is case-insensitive, RFC 7235 §2.1).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let parts = header.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return parts[1].trimmingCharacters(in: .whitespaces)
    }

    /// Compares without stopping at the first difference, so the time taken does not tell
    /// how much of a guess was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count)
        for index in 0..<max(x.count, y.count) {
            let p = index < x.count ? x[index] : 0
            let q = index < y.count ? y[index] : 0
            difference |= p ^ q
        }
        return difference == 0 && x.count == y.count
    }

    /// 127.0.0.0/8, ::1, and IPv4 loopback mapped into IPv6 (::ffff:127.x.y.z).
    static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let ip = address?.ipAddress else { return false }
        if ip == "::1" { return true }
        let v4 = ip.lowercased().hasPrefix("::ffff:") ? String(ip.dropFirst(7)) : ip
        return v4.hasPrefix("127.") && v4.split(separator: ".").count == 4
    }
}
