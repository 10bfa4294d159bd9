import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One HTTP request to the server under test, synchronously and bounded, for the admin
/// API tests.
struct HTTPExchange {
    var status: Int
    var headers: [String: String]
    var body: Data

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as a JSON object (nil when it is not one).
    var json: [String: Any]? { try? JSONSerialization.jsonObject(with: body) as? [String: Any] }

    func header(_ name: String) -> String? {
        headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    static func send(_ method: String, _ url: URL, headers: [String: String] = [:], body: Data? = nil,
                     timeout: TimeInterval = 30) throws -> HTTPExchange {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = method
        request.httpBody = body
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let box = ResultBox()
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { data, response, error in
            if let error {
                box.result = .failure(error)
            } else if let response = response as? HTTPURLResponse {
                var fields: [String: String] = [:]
                for (key, value) in response.allHeaderFields { fields["\(key)"] = "\(value)" }
                box.result = .success(HTTPExchange(status: response.statusCode, headers: fields, body: data ?? Data()))
            } else {
                box.result = .failure(ServerProcess.Failure("\(method) \(url): no HTTP response"))
            }
            done.signal()
        }
        task.resume()
        guard done.wait(timeout: .now() + timeout + 5) == .success, let result = box.result else {
            task.cancel()
            throw ServerProcess.Failure("\(method) \(url): no answer within \(timeout) s")
        }
        return try result.get()
    }

    private final class ResultBox: @unchecked Sendable {
        var result: Result<HTTPExchange, any Error>?
    }
}
