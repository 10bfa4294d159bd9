import Foundation
import Hummingbird
import NIOCore
import Store

/// `/api/v1`, as `schemas/openapi.yaml` describes it: the account's half (HTTP Basic),
/// the admin half (bearer token) and the document itself. Every error is problem+json.
public enum APIv1 {
    public static func add<Context: RemoteAddressRequestContext>(to router: Router<Context>, _ deps: APIDependencies) {
        let api = router.group("api/v1").add(middleware: APIProblemMiddleware<Context>())
        api.get("openapi.yaml") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/yaml"],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: OpenAPIDocument.text)))
        }
        let authenticator = AccountAuthenticator(store: deps.store, lockout: deps.lockout, now: deps.now,
                                                 verified: VerifiedPasswordCache())
        CallbackRoutes.add(to: api, deps, authenticator: authenticator)
        AccountRoutes.add(to: api, deps, authenticator: authenticator)
        AdminAPIRoutes.add(to: api, deps)
    }
}
