import Foundation
@testable import Web
import XCTest

/// The document is the one source: the binary's copy is the file, every schema keyword it
/// uses is one the validator understands, and every operation with a JSON body has it.
final class OpenAPIDocumentTests: XCTestCase {
    static let file = APITestBed.root.appendingPathComponent("schemas/openapi.yaml")

    func testTheEmbeddedDocumentIsTheFile() throws {
        let text = try String(contentsOf: Self.file, encoding: .utf8)
        XCTAssertTrue(text == OpenAPIDocument.text, "schemas/openapi.yaml changed: run tools/embed-openapi.sh")
    }

    func testTheValidatorKnowsEveryKeywordTheSchemasUse() throws {
        let document = OpenAPIDocument.embedded
        guard case .object(let schemas) = document.root["components"]?["schemas"] ?? .null else {
            return XCTFail("no components.schemas")
        }
        var unknown: [String] = []
        func walk(_ schema: JSONValue, _ path: String) {
            guard case .object(let members) = schema else { return }
            for (key, value) in members {
                if !SchemaValidator.keywords.contains(key) { unknown.append("\(path).\(key)") }
                switch key {
                case "properties":
                    if case .object(let properties) = value {
                        for (name, property) in properties { walk(property, "\(path).properties.\(name)") }
                    }
                case "items": walk(value, "\(path).items")
                case "oneOf": for (index, alternative) in (value.array ?? []).enumerated() { walk(alternative, "\(path).oneOf[\(index)]") }
                default: break
                }
            }
        }
        for (name, schema) in schemas { walk(schema, name) }
        XCTAssertEqual(unknown, [])
    }

    func testEveryJSONBodyOperationHasASchemaTheRoutesFind() {
        for operation in ["createCallback", "addCallerID", "addAddressBookEntry", "setForward", "adminCreateAccount",
                          "adminAdjustBalance"] {
            XCTAssertNotNil(OpenAPIDocument.embedded.requestSchema(operationId: operation), operation)
        }
    }

    func testTheValidatorAsATable() throws {
        let document = OpenAPIDocument.embedded
        let schema = try XCTUnwrap(document.requestSchema(operationId: "createCallback"))
        let cases: [(String, String?)] = [
            (#"{"numbers": ["4930222"]}"#, nil),
            (#"{"numbers": ["+4930222", "4930223"], "from": "4930111"}"#, nil),
            (#"{"from": "4930111", "to": "4930222"}"#, nil),
            (#"{"numbers": [4930222]}"#, "/numbers/0"),
            (#"{"numbers": ["1"]}"#, "/numbers/0"),
            (#"{"numbers": ["4930222"], "to": "4930333"}"#, "/to"),
            (#"{"from": true, "to": "4930222"}"#, "/from"),
            (#"{}"#, "/numbers"),
            (#""text""#, ""),
        ]
        for (text, pointer) in cases {
            let value = try XCTUnwrap(JSONValue.parse(Data(text.utf8)), text)
            do {
                try document.validator.validate(value, against: schema)
                XCTAssertNil(pointer, "\(text) passed")
            } catch {
                XCTAssertEqual(error.pointer, pointer, "\(text): \(error)")
            }
        }
    }

    func testBooleansAndNumbersKeepTheirKinds() {
        XCTAssertEqual(JSONValue.parse(Data("true".utf8)), .bool(true))
        XCTAssertEqual(JSONValue.parse(Data("1".utf8)), .integer(1))
        XCTAssertEqual(JSONValue.parse(Data("1.5".utf8)), .number(1.5))
        XCTAssertNil(JSONValue.parse(Data("{".utf8)))
    }
}
