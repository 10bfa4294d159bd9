import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// An RFC 9457 problem: thrown by a route, rendered as `application/problem+json` with
/// the member `field` naming the value that was wrong (a JSON pointer into the body, or
/// a header or parameter name).
public struct APIProblem: Error, Sendable, Equatable, Encodable, CustomStringConvertible {
    public var type: String
    public var title: String
    public var status: Int
    public var detail: String
    public var field: String?
    /// Each wrong row of an uploaded file (a rate deck), when there is more than one thing to say.
    public var errors: [RowError]?
    /// Sent as headers (`WWW-Authenticate`, `Retry-After`); not part of the body.
    var headers: [String: String] = [:]

    enum CodingKeys: String, CodingKey {
        case type, title, status, detail, field, errors
    }

    /// One wrong row of an uploaded CSV: its line, the column at fault and why.
    public struct RowError: Sendable, Equatable, Encodable {
        public var line: Int
        /// The column's name (e.g. `rate per minute`); nil when the row as a whole is wrong.
        public var field: String?
        public var detail: String
    }

    public init(status: HTTPResponse.Status, slug: String, detail: String, field: String? = nil) {
        self.type = "https://switchback.local/problems/\(slug)"
        self.title = status.reasonPhrase
        self.status = status.code
        self.detail = detail
        self.field = field
    }

    public var description: String { "\(status) \(detail)\(field.map { " (\($0))" } ?? "")" }

    public static func badRequest(_ detail: String, field: String? = nil) -> APIProblem {
        APIProblem(status: .badRequest, slug: "bad-request", detail: detail, field: field)
    }

    public static func invalid(_ detail: String, field: String?) -> APIProblem {
        APIProblem(status: .unprocessableContent, slug: "invalid", detail: detail, field: field)
    }

    public static func notFound(_ detail: String) -> APIProblem {
        APIProblem(status: .notFound, slug: "not-found", detail: detail)
    }

    public static func conflict(_ detail: String, field: String? = nil) -> APIProblem {
        APIProblem(status: .conflict, slug: "conflict", detail: detail, field: field)
    }

    /// Over a rate limit: 429 with `Retry-After` in seconds (RFC 6585 §4, RFC 9110 §10.2.3).
    public static func tooManyRequests(_ detail: String, retryAfter: Int) -> APIProblem {
        var problem = APIProblem(status: .tooManyRequests, slug: "rate-limited", detail: detail)
        problem.headers["Retry-After"] = String(max(1, retryAfter))
        return problem
    }

    public static func unavailable(_ detail: String) -> APIProblem {
        APIProblem(status: .serviceUnavailable, slug: "unavailable", detail: detail)
    }

    public var response: Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(self)) ?? Data(#"{"type":"about:blank","title":"error","status":500}"#.utf8)
        var fields: HTTPFields = [.contentType: "application/problem+json"]
        for (name, value) in headers {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return Response(status: HTTPResponse.Status(code: status), headers: fields,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// Turns a thrown `APIProblem` into its response, and any other error into a 500 problem
/// (never Hummingbird's plain-text page), so every error of `/api/v1` is problem+json.
struct APIProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context,
                next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as APIProblem {
            return problem.response
        } catch let error as HTTPError {
            var problem = APIProblem(status: error.status, slug: "http", detail: error.body ?? error.status.reasonPhrase)
            if error.status == .notFound { problem.detail = "no such resource: \(request.uri.path)" }
            return problem.response
        } catch {
            context.logger.error("API request failed", metadata: ["path": "\(request.uri.path)", "reason": "\(error)"])
            return APIProblem(status: .internalServerError, slug: "internal", detail: "the request could not be carried out")
                .response
        }
    }
}
