import Foundation
import Hummingbird
import NIOCore

/// The admin half of `/api/v1` takes the same bearer token as `/admin/reload`
/// (`AdminAccessMiddleware`'s rule), answering in problem+json as the rest of the API.
struct APIAdminAccess<Context: RemoteAddressRequestContext>: RouterMiddleware {
    let token: String?

    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token {
            guard let presented = AdminAccessMiddleware<Context>.bearerToken(request.headers[.authorization]),
                  AdminAccessMiddleware<Context>.constantTimeEqual(presented, token) else {
                var problem = APIProblem(status: .unauthorized, slug: "unauthorised",
                                         detail: "admin routes need Authorization: Bearer <http.admin-token>",
                                         field: "Authorization")
                problem.headers["WWW-Authenticate"] = #"Bearer realm="switchback-admin""#
                return problem.response
            }
        } else if !AdminAccessMiddleware<Context>.isLoopback(context.remoteAddress) {
            return APIProblem(status: .forbidden, slug: "forbidden",
                              detail: "admin routes are open to loopback clients only; set http.admin-token to allow others")
                .response
        }
        return try await next(request, context)
    }
}
