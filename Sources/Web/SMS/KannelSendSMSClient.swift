import AsyncHTTPClient
import Foundation
import NIOCore
import Store
import Switchboard

/// Sends replies through Kannel's `sendsms` HTTP interface (smsbox's sendsms-port):
/// `GET <sendsms>?username=…&password=…&from=<service number>&to=<recipient>&text=…`.
/// Kannel answers 202 ("0: Accepted for delivery", "3: Queued for later delivery"); any
/// other status or no answer throws, and the outbox tries again later. (A refused connection
/// is retried by the HTTP client itself until `timeout`: one attempt lasts at most that.)
public struct KannelSendSMSClient: SMSGatewayClient {
    let http: HTTPClient
    /// The gateways as configured now (reloads take effect on the next send).
    let gateways: @Sendable () -> SwitchbackConfiguration.SMS
    let timeout: TimeAmount

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public init(http: HTTPClient, gateways: @escaping @Sendable () -> SwitchbackConfiguration.SMS,
                timeout: TimeAmount = .seconds(5)) {
        self.http = http
        self.gateways = gateways
        self.timeout = timeout
    }

    public func send(_ sms: OutboundSMS) async throws {
        guard let gateway = gateways().gateway(named: sms.gateway) else {
            throw Failure(description: "gateway '\(sms.gateway)' is not configured (sms.gateways)")
        }
        guard let base = gateway.sendSMS else {
            throw Failure(description: "gateway '\(sms.gateway)' has no sendsms URL")
        }
        let url = Self.url(base: base, username: gateway.username, password: gateway.password, sms: sms)
        var request = HTTPClientRequest(url: url)
        request.method = .GET
        let response = try await http.execute(request, timeout: timeout)
        let body = try await response.body.collect(upTo: 16 * 1024)
        guard (200..<300).contains(Int(response.status.code)) else {
            throw Failure(description: "sendsms answered \(response.status.code): \(String(buffer: body).prefix(200))")
        }
    }

    static func url(base: String, username: String?, password: String?, sms: OutboundSMS) -> String {
        var parameters: [(String, String)] = []
        if let username { parameters.append(("username", username)) }
        if let password { parameters.append(("password", password)) }
        parameters += [("from", sms.sender), ("to", sms.recipient), ("text", sms.text), ("charset", "UTF-8")]
        let query = parameters.map { "\($0.0)=\(escape($0.1))" }.joined(separator: "&")
        return base + (base.contains("?") ? "&" : "?") + query
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986 §2.3).
    static func escape(_ text: String) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }
}
