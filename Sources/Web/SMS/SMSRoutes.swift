import Foundation
import Hummingbird
import NIOCore
import NIOPosix
import Switchboard

/// `POST /sms/inbound` and `GET /sms/inbound`: where SMS gateways deliver texts.
///
/// The gateway must prove itself (its shared secret, its source address, or both, as
/// configured): only then is the sender's number believed. Every text that passes gets its
/// answer by SMS (through the outbox); the HTTP response says what the desk did, so a
/// gateway's body-as-reply feature must be off (Kannel: `max-messages = 0`).
public enum SMSRoutes {
    public static func add(to router: Router<SwitchbackRequestContext>, server: SwitchbackServer) {
        let handler: @Sendable (Request, SwitchbackRequestContext) async throws -> Response = { request, context in
            await inbound(request, remoteAddress: context.remoteAddress?.ipAddress, desk: server.smsDesk)
        }
        router.get("sms/inbound", use: handler)
        router.post("sms/inbound", use: handler)
    }

    static func inbound(_ request: Request, remoteAddress: String?, desk: SMSCommandDesk?) async -> Response {
        guard let desk else {
            return json(.serviceUnavailable, ["error": "SMS commands need the database (no store configured)"])
        }
        let parsed: InboundSMSRequest
        do {
            parsed = try await InboundSMSRequest.read(request)
        } catch {
            return json(.badRequest, ["error": "\(error)"])
        }
        let sms = desk.currentSettings.sms
        let gateway: SwitchbackConfiguration.SMS.Gateway
        switch SMSGatewayCheck.gateway(named: parsed.gateway, secret: parsed.secret, remoteAddress: remoteAddress, in: sms) {
        case .success(let found): gateway = found
        case .failure(let refusal):
            return json(refusal.status == 403 ? .forbidden : .badRequest, ["error": refusal.reason])
        }
        let message: (sender: String, receiver: String, text: String, time: Date?)
        do {
            message = try parsed.message(gateway: gateway.name)
        } catch {
            return json(.badRequest, ["error": "\(error)"])
        }
        let inbound = InboundSMS(gateway: gateway.name, sender: message.sender, receiver: message.receiver,
                                 text: message.text, sentAt: message.time)
        // The desk blocks (SQLite, the password hash): off the event loop.
        let answer: SMSDeskAnswer
        do {
            answer = try await NIOThreadPool.singleton.runIfActive { desk.handle(inbound) }
        } catch {
            return json(.serviceUnavailable, ["error": "shutting down"])
        }
        var body: [String: String] = ["outcome": Self.name(answer.outcome)]
        if case .accepted(let requestID, _) = answer.outcome { body["request"] = "\(requestID)" }
        if let reply = answer.reply { body["reply"] = reply }
        if let replyTo = answer.replyTo { body["replyTo"] = replyTo }
        return json(.accepted, body)
    }

    static func name(_ outcome: SMSDeskAnswer.Outcome) -> String {
        switch outcome {
        case .accepted: return "accepted"
        case .registered: return "registered"
        case .status: return "status"
        case .rejected: return "rejected"
        case .limited: return "limited"
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: [String: String]) -> Response {
        let data = (try? JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
