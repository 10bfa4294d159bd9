import Foundation
import Hummingbird
import Switchboard

/// The admin API, behind `AdminAccessMiddleware`:
///
/// - `POST /admin/reload`: re-read the configuration file and the campaign scripts, as
///   SIGHUP does (both through `ConfigurationReloader`). 200
///   `{"reloaded": true, "accessNumbers": [...]}`, or 422
///   `{"reloaded": false, "errors": ["file:line:column: error: ...", ...]}` when anything
///   fails validation; then the running configuration and scripts stay.
public enum AdminRoutes {
    struct Reloaded: Encodable {
        var reloaded = true
        var accessNumbers: [String]
    }

    struct Refused: Encodable {
        var reloaded = false
        var errors: [String]
    }

    struct Problem: Encodable {
        var error: String
    }

    public static func add<Context: RemoteAddressRequestContext>(to router: Router<Context>, reloader: ConfigurationReloader,
                                                                 adminToken: String?) {
        let admin = router.group("admin").add(middleware: AdminAccessMiddleware<Context>(token: adminToken))
        admin.post("reload") { _, _ -> Response in
            switch await reloader.reload(trigger: "POST /admin/reload") {
            case .reloaded(let numbers):
                return json(status: .ok, Reloaded(accessNumbers: numbers))
            case .refused(let diagnostics):
                return json(status: .unprocessableContent, Refused(errors: diagnostics))
            }
        }
    }

    static func json(status: HTTPResponse.Status, _ body: some Encodable, headers: HTTPFields = [:]) -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(body)) ?? Data(#"{"error":"encoding failed"}"#.utf8)
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
