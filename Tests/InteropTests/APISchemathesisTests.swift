import Foundation
import XCTest

/// schemathesis (an independent OpenAPI fuzzer, PyPI) against the running binary and
/// `schemas/openapi.yaml`: no server error, and every response's status, content type,
/// headers and body are the ones the document describes. Bounded: a few examples per
/// operation and a hard time limit.
final class APISchemathesisTests: XCTestCase {
    func testSchemathesisFindsNoServerErrorAndNoResponseThatBreaksTheDocument() throws {
        let schemathesis = try Self.schemathesis()
        let data = try OperatorCLI.cardPlanWithAlice(deck: CallbackEndToEndTests.deck, name: "schemathesis-data")
        try OperatorCLI.run(["callers", "add", "alice", "5551234"], data: data)
        let server = try ServerProcess(
            campaignsYAML: "  web-callback: { script: \(InteropPaths.packageRoot.path)/scripts/web-callback.yaml }",
            extraYAML: """
            http: { admin-token: fuzz-token }
            callback:
              web-campaign: web-callback
              pin-lockout: { attempts: 100000, period: 1m }
            """, name: "schemathesis", dataDirectory: data)
        defer { server.stop() }
        let document = InteropPaths.packageRoot.appendingPathComponent("schemas/openapi.yaml").path
        let result = try ChildProcess.run(schemathesis, [
            "run", document, "--url", "http://127.0.0.1:\(server.httpPort)",
            "--auth", "alice:2468",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            "--phases", "examples,coverage,fuzzing",
            "--max-examples", "10", "--workers", "1", "--request-timeout", "10",
            // The event stream stays open until its request ends: followed by APICallbackEndToEndTests.
            "--exclude-path-regex", ".*/events$",
            "--generation-deterministic", "--no-color",
        ], in: server.directory, timeout: 400)
        print(result.output.suffix(1500))   // the summary: operations and test cases run
        XCTAssertEqual(result.status, 0, "schemathesis found problems:\n\(result.output.suffix(12000))")
        // The admin half, with its bearer token.
        let admin = try ChildProcess.run(schemathesis, [
            "run", document, "--url", "http://127.0.0.1:\(server.httpPort)",
            "--header", "Authorization: Bearer fuzz-token",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance",
            "--phases", "examples,coverage,fuzzing", "--include-path-regex", "^/api/v1/admin/",
            "--max-examples", "5", "--workers", "1", "--request-timeout", "20",
            "--generation-deterministic", "--no-color",
        ], in: server.directory, timeout: 400)
        print(admin.output.suffix(1500))
        XCTAssertEqual(admin.status, 0, "schemathesis found problems in the admin half:\n\(admin.output.suffix(12000))")
        XCTAssertTrue(server.events(where: { ($0["message"] ?? "") == "API request failed" }).isEmpty,
                      "the server logged a failed API request:\n\(server.rawLog.suffix(4000))")
    }

    static func schemathesis(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        for directory in ["/usr/local/bin", "/usr/bin", "/root/.pyenv/shims"] {
            let path = "\(directory)/schemathesis"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        let message = "schemathesis is not installed: run `python3 -m pip install schemathesis` (tools/install-deps.sh test)"
        XCTFail(message, file: file, line: line)
        throw Peer.PeerMissing(message: message)
    }
}
