import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Store

/// What every `/api/v1` route does the same way: JSON out, a body validated against the
/// document's schema of its operation before anything happens, typed path parameters.
enum APIRouteSupport {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()

    static func json(_ body: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(body))))
    }

    /// The body of `request` as JSON, valid against the request schema of `operationId`.
    static func validatedBody(_ request: Request, operationId: String, document: OpenAPIDocument) async throws -> JSONValue {
        let type = request.headers[.contentType]?.lowercased() ?? ""
        guard type.hasPrefix("application/json") else {
            throw APIProblem(status: .unsupportedMediaType, slug: "media-type",
                             detail: "the body must be application/json", field: "Content-Type")
        }
        var request = request
        let buffer = try await request.collectBody(upTo: 64 * 1024)
        guard let body = JSONValue.parse(Data(buffer.readableBytesView)) else {
            throw APIProblem.badRequest("the body is not JSON", field: "")
        }
        guard let schema = document.requestSchema(operationId: operationId) else {
            throw APIProblem(status: .internalServerError, slug: "internal", detail: "no schema for \(operationId)")
        }
        do {
            try document.validator.validate(body, against: schema)
        } catch {
            throw APIProblem.invalid("\(error.pointer.isEmpty ? "the body" : error.pointer) \(error.message)",
                                     field: error.pointer)
        }
        return body
    }

    /// A positive integer path parameter.
    static func id(_ name: String, _ context: some RequestContext) throws -> Int64 {
        guard let text = context.parameters.get(name), let id = Int64(text), id > 0 else {
            throw APIProblem.badRequest("\(name) must be a positive integer", field: name)
        }
        return id
    }

    /// `page` and `per-page` (1...1000, default 100).
    static func paging(_ request: Request) throws -> (page: Int, perPage: Int) {
        func value(_ name: String, default fallback: Int, max: Int) throws -> Int {
            guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return fallback }
            guard let number = Int(text), number >= 1, number <= max else {
                throw APIProblem.badRequest("\(name) must be an integer from 1 to \(max)", field: name)
            }
            return number
        }
        return (try value("page", default: 1, max: Int.max), try value("per-page", default: 100, max: 1000))
    }

    /// A store error a client caused, as its problem; nil for the server's own failures.
    static func problem(for error: any Error) -> APIProblem? {
        guard let error = error as? StoreError else { return nil }
        switch error {
        case .loginTaken, .pinTaken, .personalDIDTaken, .callerIDTaken, .addressBookSlotTaken, .addressBookNameTaken,
             .lotNameTaken:
            return .conflict("\(error)")
        case .unknownAccount, .unknownCallerID, .unknownAddressBookEntry, .unknownCallbackRequest:
            return .notFound("\(error)")
        case .invalidLogin, .invalidPIN, .unknownRatePlan, .currencyMismatch, .nonPositiveAmount:
            return .invalid("\(error)", field: nil)
        default:
            return nil
        }
    }

    /// Runs a store call, turning a client's mistake into its problem.
    static func store<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let problem as APIProblem {
            throw problem
        } catch {
            if let problem = problem(for: error) { throw problem }
            throw error
        }
    }
}
