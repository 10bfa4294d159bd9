import Foundation
import Yams

/// `schemas/openapi.yaml`, the one description of the HTTP API: served at
/// `/api/v1/openapi.yaml`, and the source of every request body's schema (a route asks
/// for its operation's schema by `operationId`, so a route and its document cannot drift
/// apart unnoticed: schemathesis holds the responses to it in the interop tests).
public struct OpenAPIDocument: Sendable {
    public let root: JSONValue
    public let validator: SchemaValidator

    /// The embedded document (`text`, generated from the file by tools/embed-openapi.sh).
    public static let embedded: OpenAPIDocument = {
        // The text is part of the binary and covered by tests; it cannot fail to load.
        try! OpenAPIDocument(yaml: text)
    }()

    public init(yaml: String) throws {
        guard let root = JSONValue(any: try Yams.load(yaml: yaml)) else {
            throw OpenAPIDocumentError(message: "the document is not a JSON-compatible mapping")
        }
        self.root = root
        validator = SchemaValidator(document: root)
    }

    /// The JSON request body schema of the operation named `operationId`.
    public func requestSchema(operationId: String) -> JSONValue? {
        operation(operationId)?["requestBody"]?["content"]?["application/json"]?["schema"]
    }

    public func operation(_ operationId: String) -> JSONValue? {
        guard case .object(let paths) = root["paths"] ?? .null else { return nil }
        for (_, item) in paths {
            guard case .object(let methods) = item else { continue }
            for (_, operation) in methods where operation["operationId"]?.string == operationId {
                return operation
            }
        }
        return nil
    }
}

public struct OpenAPIDocumentError: Error, CustomStringConvertible {
    public var message: String
    public var description: String { "openapi.yaml: \(message)" }
}
