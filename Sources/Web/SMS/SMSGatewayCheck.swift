import Foundation
import Switchboard

/// Which configured gateway a request comes from, and whether it proved itself: the
/// shared secret when one is configured, the source address when a list is configured.
enum SMSGatewayCheck {
    struct Refusal: Error, Equatable {
        var status: Int
        var reason: String
    }

    static func gateway(named name: String?, secret: String?, remoteAddress: String?,
                        in sms: SwitchbackConfiguration.SMS) -> Result<SwitchbackConfiguration.SMS.Gateway, Refusal> {
        let gateway: SwitchbackConfiguration.SMS.Gateway
        if let name {
            guard let named = sms.gateway(named: name) else {
                return .failure(Refusal(status: 403, reason: "unknown gateway '\(name)'"))
            }
            gateway = named
        } else if sms.gateways.count == 1, let only = sms.gateways.first {
            gateway = only
        } else if sms.gateways.isEmpty {
            return .failure(Refusal(status: 403, reason: "no SMS gateway is configured (sms.gateways)"))
        } else {
            return .failure(Refusal(status: 400, reason: "several gateways are configured: name yours with gateway= or X-SMS-Gateway"))
        }
        if let expected = gateway.secret {
            guard let secret, AdminAccessMiddleware<SwitchbackRequestContext>.constantTimeEqual(secret, expected) else {
                return .failure(Refusal(status: 403, reason: "gateway '\(gateway.name)': wrong or missing secret"))
            }
        }
        if !gateway.sources.isEmpty {
            guard let remoteAddress, gateway.sources.contains(where: { sameAddress($0, remoteAddress) }) else {
                return .failure(Refusal(status: 403,
                                        reason: "gateway '\(gateway.name)': \(remoteAddress ?? "unknown address") is not in its sources"))
            }
        }
        return .success(gateway)
    }

    /// IPv4 addresses may arrive mapped into IPv6 (::ffff:a.b.c.d).
    static func sameAddress(_ configured: String, _ remote: String) -> Bool {
        func plain(_ address: String) -> String {
            let lower = address.lowercased()
            return lower.hasPrefix("::ffff:") ? String(lower.dropFirst(7)) : lower
        }
        return plain(configured) == plain(remote)
    }
}
