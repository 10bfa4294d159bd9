import Foundation
import Yams

/// The `sms:` section (issue 15).
extension NodeReader {
    func readSMS(_ node: Node, into sms: inout SwitchbackConfiguration.SMS) throws(ConfigurationError) {
        for (key, value) in try mapping(node, "sms", allowed: ["gateways", "numbers", "limits", "lockout", "reply-retry"]) {
            let path = "sms.\(key)"
            switch key {
            case "gateways":
                guard let items = value.sequence else { throw fail(value, path, "expected a list") }
                sms.gateways = []
                for (index, item) in items.enumerated() {
                    let itemPath = "\(path)[\(index)]"
                    var gateway = SwitchbackConfiguration.SMS.Gateway(name: "")
                    for (k, v) in try mapping(item, itemPath, allowed: ["name", "secret", "sources", "sendsms", "username",
                                                                        "password"]) {
                        switch k {
                        case "name": gateway.name = try string(v, "\(itemPath).name")
                        case "secret":
                            let secret = try string(v, "\(itemPath).secret")
                            guard secret.count >= 8 else {
                                throw fail(v, "\(itemPath).secret", "must be at least 8 characters (a guessable secret lets anyone text as anyone)")
                            }
                            gateway.secret = secret
                        case "sources": gateway.sources = try strings(v, "\(itemPath).sources")
                        case "sendsms":
                            let url = try string(v, "\(itemPath).sendsms")
                            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                                  parsed.host != nil else {
                                throw fail(v, "\(itemPath).sendsms", "expected an http(s) URL such as http://127.0.0.1:13013/cgi-bin/sendsms, got '\(url)'")
                            }
                            gateway.sendSMS = url
                        case "username": gateway.username = try string(v, "\(itemPath).username")
                        default: gateway.password = try string(v, "\(itemPath).password")
                        }
                    }
                    guard !gateway.name.isEmpty else { throw fail(item, itemPath, "a gateway needs a name") }
                    guard gateway.secret != nil || !gateway.sources.isEmpty else {
                        throw fail(item, itemPath, "a gateway needs a secret or a sources list (an open webhook would let anyone text as anyone)")
                    }
                    if sms.gateways.contains(where: { $0.name == gateway.name }) {
                        throw fail(item, "\(itemPath).name", "gateway '\(gateway.name)' is named twice")
                    }
                    sms.gateways.append(gateway)
                }
            case "numbers":
                sms.numbers = [:]
                for (number, v) in try mapping(value, path, allowed: []) {
                    let numberPath = "\(path).\(number)"
                    var campaign: String?
                    var gateway: String?
                    for (k, s) in try mapping(v, numberPath, allowed: ["campaign", "gateway"]) {
                        if k == "campaign" { campaign = try string(s, "\(numberPath).campaign") }
                        else { gateway = try string(s, "\(numberPath).gateway") }
                    }
                    guard let campaign else { throw fail(v, numberPath, "a service number needs a campaign") }
                    sms.numbers[number] = .init(campaign: campaign, gateway: gateway)
                }
            case "limits":
                for (k, v) in try mapping(value, path, allowed: ["per-minute-per-sender", "per-hour-per-sender",
                                                                 "per-minute-per-account", "per-hour-per-account"]) {
                    let limit = try int(v, "\(path).\(k)")
                    guard limit >= 1 else { throw fail(v, "\(path).\(k)", "must be at least 1") }
                    switch k {
                    case "per-minute-per-sender": sms.limits.perMinutePerSender = limit
                    case "per-hour-per-sender": sms.limits.perHourPerSender = limit
                    case "per-minute-per-account": sms.limits.perMinutePerAccount = limit
                    default: sms.limits.perHourPerAccount = limit
                    }
                }
            case "lockout":
                for (k, v) in try mapping(value, path, allowed: ["attempts", "period"]) {
                    if k == "attempts" {
                        sms.lockout.attempts = try int(v, "\(path).attempts")
                        guard sms.lockout.attempts >= 1 else { throw fail(v, "\(path).attempts", "must be at least 1") }
                    } else {
                        sms.lockout.period = try period(v, "\(path).period", within: .seconds(1) ... .seconds(7 * 86_400))
                    }
                }
            default:
                for (k, v) in try mapping(value, path, allowed: ["attempts", "backoff", "max-backoff"]) {
                    switch k {
                    case "attempts":
                        sms.replyRetry.attempts = try int(v, "\(path).attempts")
                        guard sms.replyRetry.attempts >= 1 else { throw fail(v, "\(path).attempts", "must be at least 1") }
                    case "backoff": sms.replyRetry.backoff = try period(v, "\(path).backoff", within: .milliseconds(100) ... .seconds(3600))
                    default: sms.replyRetry.maxBackoff = try period(v, "\(path).max-backoff", within: .milliseconds(100) ... .seconds(86_400))
                    }
                }
            }
        }
    }

    /// Service numbers name campaigns and gateways that exist.
    func checkSMS(_ c: SwitchbackConfiguration) throws(ConfigurationError) {
        for number in c.sms.numbers.keys.sorted() {
            guard let entry = c.sms.numbers[number] else { continue }
            if c.campaigns[entry.campaign] == nil {
                throw ConfigurationError(file: file, line: nil, path: "sms.numbers.\(number).campaign",
                                         message: "unknown campaign '\(entry.campaign)'")
            }
            if let gateway = entry.gateway, c.sms.gateway(named: gateway) == nil {
                throw ConfigurationError(file: file, line: nil, path: "sms.numbers.\(number).gateway",
                                         message: "unknown gateway '\(gateway)' (sms.gateways names: "
                                             + "\(c.sms.gateways.map(\.name).joined(separator: ", ")))")
            }
        }
        if !c.sms.numbers.isEmpty && c.sms.gateways.isEmpty {
            throw ConfigurationError(file: file, line: nil, path: "sms.gateways",
                                     message: "service numbers need at least one gateway to receive texts from")
        }
    }
}
