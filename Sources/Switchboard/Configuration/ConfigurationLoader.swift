import Foundation
import IVR
import Media
import Store
import Yams

/// A configuration problem, naming the file, the line when known, and the key path.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public var file: String
    public var line: Int?
    public var path: String
    public var message: String

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return path.isEmpty ? "\(location): error: \(message)" : "\(location): error: \(path): \(message)"
    }
}

/// Reads the configuration YAML over the embedded defaults: every key given replaces the
/// default; unknown keys are errors (a typo must not silently fall back to a default).
public enum ConfigurationLoader {
    /// - Parameter shareDirectory: where the embedded defaults' files (campaign scripts,
    ///   sounds) are; nil: relative to the file's directory like its own paths.
    public static func load(contentsOf url: URL, shareDirectory: URL? = nil) throws(ConfigurationError) -> SwitchbackConfiguration {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: url.path, line: nil, path: "", message: "cannot read: \(error.localizedDescription)")
        }
        var configuration = shareDirectory.map { SwitchbackConfiguration.embeddedDefaults(shareDirectory: $0) }
            ?? SwitchbackConfiguration.embeddedDefaults()
        configuration.file = url.path
        try apply(yaml: text, file: url.path, to: &configuration)
        return configuration
    }

    public static func parse(yaml: String, file: String) throws(ConfigurationError) -> SwitchbackConfiguration {
        var configuration = SwitchbackConfiguration()
        configuration.file = file
        try apply(yaml: yaml, file: file, to: &configuration)
        return configuration
    }

    static func apply(yaml: String, file: String, to configuration: inout SwitchbackConfiguration) throws(ConfigurationError) {
        let root: Node
        do {
            guard let node = try PlainYAML.compose(yaml) else { return }
            root = node
        } catch let error as YamlError {
            if let duplicates = YAMLDuplicateKeys(error) {
                throw ConfigurationError(file: file, line: duplicates.line, path: "", message: duplicates.message)
            }
            throw ConfigurationError(file: file, line: Self.line(of: error), path: "", message: "invalid YAML: \(error)")
        } catch {
            throw ConfigurationError(file: file, line: nil, path: "", message: "invalid YAML: \(error)")
        }
        let reader = NodeReader(file: file)
        try reader.read(root, into: &configuration)
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }
}

/// Walks the YAML node tree with its marks, so every error names its line.
struct NodeReader {
    let file: String

    func fail(_ node: Node, _ path: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, line: node.mark.map { $0.line }, path: path, message: message)
    }

    func mapping(_ node: Node, _ path: String, allowed: Set<String>) throws(ConfigurationError) -> [(String, Node)] {
        guard let mapping = node.mapping else { throw fail(node, path, "expected a mapping") }
        var pairs: [(String, Node)] = []
        for (key, value) in mapping {
            guard let name = key.string else { throw fail(key, path, "keys must be strings") }
            if !allowed.isEmpty && !allowed.contains(name) {
                throw fail(key, path.isEmpty ? name : "\(path).\(name)",
                           "unknown key (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
            pairs.append((name, value))
        }
        return pairs
    }

    func string(_ node: Node, _ path: String) throws(ConfigurationError) -> String {
        guard let scalar = node.scalar else { throw fail(node, path, "expected a string") }
        return scalar.string
    }

    func int(_ node: Node, _ path: String) throws(ConfigurationError) -> Int {
        guard let scalar = node.scalar, let value = Int(scalar.string) else { throw fail(node, path, "expected an integer") }
        return value
    }

    /// A whole number within `range`.
    func count(_ node: Node, _ path: String, within range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let value = try int(node, path)
        guard range.contains(value) else {
            throw fail(node, path, "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    /// Durations as `3s`, `500ms` or a bare number of seconds.
    func duration(_ node: Node, _ path: String) throws(ConfigurationError) -> Int {
        let text = try string(node, path).trimmingCharacters(in: .whitespaces)
        let value: Int?
        if text.hasSuffix("ms") {
            value = Int(text.dropLast(2))
        } else if text.hasSuffix("s") {
            value = Int(text.dropLast()).map { $0 * 1000 }
        } else {
            value = Int(text).map { $0 * 1000 }
        }
        guard let value, value >= 0, value <= 600_000 else {
            throw fail(node, path, "expected a duration such as 3s or 500ms (at most 600s), got '\(text)'")
        }
        return value
    }

    func strings(_ node: Node, _ path: String) throws(ConfigurationError) -> [String] {
        guard let sequence = node.sequence else { throw fail(node, path, "expected a list") }
        var result: [String] = []
        for item in sequence { result.append(try string(item, path)) }
        return result
    }

    func read(_ root: Node, into c: inout SwitchbackConfiguration) throws(ConfigurationError) {
        let top: Set<String> = ["sip", "media", "http", "database", "sounds", "trunks", "campaigns", "access-numbers", "callback",
                                 "did-providers", "secrets", "sms", "spool", "node"]
        for (key, node) in try mapping(root, "", allowed: top) {
            switch key {
            case "sip":
                let sipKeys: Set<String> = ["listen", "domain", "advertise", "digest-lockout", "tcp-max-connections",
                                            "tcp-max-connections-per-source", "tcp-idle-timeout", "edge-proxies", "event-loops"]
                for (k, v) in try mapping(node, "sip", allowed: sipKeys) {
                    switch k {
                    case "listen": c.sip.listen = try strings(v, "sip.listen")
                    case "domain": c.sip.domain = try string(v, "sip.domain")
                    case "digest-lockout": c.sip.digestLockout = try lockout(v, "sip.digest-lockout", base: c.sip.digestLockout)
                    case "tcp-max-connections": c.sip.tcpMaxConnections = try count(v, "sip.tcp-max-connections", within: 1...1_000_000)
                    case "tcp-max-connections-per-source":
                        c.sip.tcpMaxConnectionsPerSource = try count(v, "sip.tcp-max-connections-per-source", within: 1...1_000_000)
                    case "edge-proxies": c.sip.edgeProxies = try networks(v, "sip.edge-proxies")
                    case "event-loops":
                        if v.scalar?.string == "auto" { c.sip.eventLoops = nil; continue }
                        guard v.scalar.flatMap({ Int($0.string) }) != nil else {
                            throw fail(v, "sip.event-loops", "expected auto or a number of loops, got '\(v.scalar?.string ?? "a collection")'")
                        }
                        c.sip.eventLoops = try count(v, "sip.event-loops", within: 1...256)
                    case "tcp-idle-timeout":
                        c.sip.tcpIdleTimeout = try period(v, "sip.tcp-idle-timeout", within: .seconds(1) ... .seconds(86_400))
                    default: c.sip.advertise = try string(v, "sip.advertise")
                    }
                }
                if c.sip.tcpMaxConnectionsPerSource > c.sip.tcpMaxConnections {
                    throw fail(node, "sip.tcp-max-connections-per-source",
                               "\(c.sip.tcpMaxConnectionsPerSource) exceeds sip.tcp-max-connections (\(c.sip.tcpMaxConnections))")
                }
            case "media":
                for (k, v) in try mapping(node, "media", allowed: ["rtp-ports", "bind", "symmetric-rtp", "rtp-timeout"]) {
                    if k == "bind" { c.media.bind = try string(v, "media.bind"); continue }
                    if k == "rtp-timeout" {
                        c.media.rtpTimeout = try (v.scalar?.string == "off") ? nil
                            : period(v, "media.rtp-timeout", within: .seconds(5) ... .seconds(3_600))
                        continue
                    }
                    if k == "symmetric-rtp" {
                        let text = try string(v, "media.symmetric-rtp")
                        guard let policy = SymmetricRTP(parsing: text) else {
                            throw fail(v, "media.symmetric-rtp", "expected off or learn, got '\(text)'")
                        }
                        c.media.symmetricRTP = policy
                        continue
                    }
                    let text = try string(v, "media.rtp-ports")
                    let parts = text.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                    guard parts.count == 2, parts[0] >= 1024, parts[1] <= 65535, parts[1] - parts[0] >= 3 else {
                        throw fail(v, "media.rtp-ports", "expected LOW-HIGH within 1024-65535 with room for two calls, got '\(text)'")
                    }
                    c.media.rtpPorts = parts[0]...parts[1]
                }
            case "http":
                for (k, v) in try mapping(node, "http", allowed: ["listen", "admin-token", "secure-cookies"]) {
                    switch k {
                    case "listen": c.http.listen = try string(v, "http.listen")
                    case "secure-cookies": c.http.secureCookies = try bool(v, "http.secure-cookies")
                    default:
                        let token = try string(v, "http.admin-token")
                        guard !token.trimmingCharacters(in: .whitespaces).isEmpty else {
                            throw fail(v, "http.admin-token", "must not be empty (leave the key out to allow loopback clients only)")
                        }
                        c.http.adminToken = token
                    }
                }
            case "database":
                do {
                    c.database = try StoreDatabase(parsing: try string(node, "database"))
                } catch {
                    throw fail(node, "database", "\(error)")
                }
            case "node":
                for (k, v) in try mapping(node, "node", allowed: ["id", "lease"]) {
                    if k == "lease" {
                        c.node.lease = try period(v, "node.lease", within: SwitchbackConfiguration.NodeSettings.leaseRange)
                        continue
                    }
                    let id = try string(v, "node.id")
                    let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.@")
                    guard !id.isEmpty, id.count <= 64, id.allSatisfy(allowed.contains) else {
                        throw fail(v, "node.id", "expected 1 to 64 letters, digits or -_.@, got '\(id)'")
                    }
                    c.node.id = id
                }
            case "sounds":
                c.sounds = try string(node, "sounds")
            case "trunks":
                guard let items = node.sequence else { throw fail(node, "trunks", "expected a list") }
                c.trunks = []
                for (index, item) in items.enumerated() {
                    let path = "trunks[\(index)]"
                    var trunk = SwitchbackConfiguration.Trunk(name: "", uri: "")
                    var uriNode: Node?
                    for (k, v) in try mapping(item, path, allowed: ["name", "uri", "destinations", "transport", "username",
                                                                    "password", "strip", "prefix", "caller-id",
                                                                    "trusted-sources", "dtmf"]) {
                        switch k {
                        case "name": trunk.name = try string(v, "\(path).name")
                        case "uri":
                            trunk.uri = try string(v, "\(path).uri")
                            uriNode = v
                        case "transport":
                            let transport = try string(v, "\(path).transport").lowercased()
                            guard transport == "udp" || transport == "tcp" else {
                                throw fail(v, "\(path).transport", "expected udp or tcp, got '\(transport)'")
                            }
                            trunk.transport = transport
                        case "username": trunk.username = try string(v, "\(path).username")
                        case "password": trunk.password = try string(v, "\(path).password")
                        case "strip":
                            trunk.strip = try int(v, "\(path).strip")
                            guard trunk.strip >= 0 else { throw fail(v, "\(path).strip", "must not be negative") }
                        case "prefix": trunk.prefix = try string(v, "\(path).prefix")
                        case "caller-id": trunk.callerID = try string(v, "\(path).caller-id")
                        case "trusted-sources": trunk.trustedSources = try networks(v, "\(path).trusted-sources")
                        case "dtmf":
                            let text = try string(v, "\(path).dtmf")
                            guard let mode = DTMFMode(rawValue: text) else {
                                throw fail(v, "\(path).dtmf", "expected auto, rfc4733 or inband, got '\(text)'")
                            }
                            trunk.dtmf = mode
                        default: trunk.destinations = try strings(v, "\(path).destinations")
                        }
                    }
                    if (trunk.username == nil) != (trunk.password == nil) {
                        throw fail(item, path, "username and password go together (digest credentials for the gateway)")
                    }
                    if trunk.name.isEmpty || trunk.uri.isEmpty { throw fail(item, path, "a trunk needs a name and a uri") }
                    // The trunk as the dial plan will use it, so a bad URI is named with its line.
                    do {
                        _ = try TrunkSelector(configuration: [trunk])
                    } catch {
                        if case .badTrunkURI = error { throw fail(uriNode ?? item, "\(path).uri", "\(error)") }
                        throw fail(item, path, "\(error)")
                    }
                    c.trunks.append(trunk)
                }
            case "campaigns":
                c.campaigns = [:]
                for (name, v) in try mapping(node, "campaigns", allowed: []) {
                    c.campaigns[name] = try campaign(v, "campaigns.\(name)")
                }
            case "access-numbers":
                c.accessNumbers = [:]
                for (number, v) in try mapping(node, "access-numbers", allowed: []) {
                    c.accessNumbers[number] = try accessNumber(v, "access-numbers.\(number)")
                }
            case "did-providers":
                guard let items = node.sequence else { throw fail(node, "did-providers", "expected a list") }
                c.didProviders = []
                for (index, item) in items.enumerated() {
                    let path = "did-providers[\(index)]"
                    var provider = SwitchbackConfiguration.DIDProvider(name: "", trustedSources: [])
                    for (k, v) in try mapping(item, path, allowed: ["name", "trusted-sources"]) {
                        if k == "name" { provider.name = try string(v, "\(path).name") }
                        else { provider.trustedSources = try networks(v, "\(path).trusted-sources") }
                    }
                    if provider.name.isEmpty || provider.trustedSources.isEmpty {
                        throw fail(item, path, "a DID provider needs a name and trusted-sources")
                    }
                    c.didProviders.append(provider)
                }
            case "secrets":
                for (_, v) in try mapping(node, "secrets", allowed: ["pin-pepper-file"]) {
                    let file = try string(v, "secrets.pin-pepper-file")
                    guard !file.trimmingCharacters(in: .whitespaces).isEmpty else {
                        throw fail(v, "secrets.pin-pepper-file", "must not be empty")
                    }
                    c.secrets.pinPepperFile = file
                }
            case "sms":
                try readSMS(node, into: &c.sms)
            case "spool":
                c.spool = try spool(node)
            default:
                try readCallback(node, into: &c.callback)
            }
        }
        // A file that declares its own campaigns without the demo's DID campaign serves no
        // personal DIDs unless it names one itself.
        let gaveCampaigns = root.mapping?["campaigns"] != nil
        let gaveDIDCampaign = root.mapping?["callback"]?.mapping?["did-campaign"] != nil
        if gaveCampaigns, !gaveDIDCampaign, let did = c.callback.didCampaign, c.campaigns[did] == nil {
            c.callback.didCampaign = nil
        }
        let gaveWebCampaign = root.mapping?["callback"]?.mapping?["web-campaign"] != nil
        if gaveCampaigns, !gaveWebCampaign, let web = c.callback.webCampaign, c.campaigns[web] == nil {
            c.callback.webCampaign = nil
        }
        try check(c)
    }

    func campaign(_ node: Node, _ path: String) throws(ConfigurationError) -> SwitchbackConfiguration.Campaign {
        var script: String?
        var entry = SwitchbackConfiguration.Campaign(script: "")
        for (k, v) in try mapping(node, path, allowed: ["script", "caller-id", "forward-caller-id", "language"]) {
            switch k {
            case "script":
                script = try string(v, "\(path).script")
                entry.scriptLine = v.mark?.line
                entry.scriptColumn = v.mark?.column
            case "caller-id": entry.callerID = try string(v, "\(path).caller-id")
            case "language":
                let language = try string(v, "\(path).language")
                guard (2...8).contains(language.count), language.allSatisfy({ $0.isLetter || $0 == "-" }) else {
                    throw fail(v, "\(path).language", "'\(language)' is not a language code (e.g. en, de)")
                }
                entry.language = language
            default: entry.forwardCallerID = try bool(v, "\(path).forward-caller-id")
            }
        }
        guard let script, !script.isEmpty else { throw fail(node, path, "a campaign needs a script") }
        entry.script = script
        return entry
    }

    func accessNumber(_ node: Node, _ path: String) throws(ConfigurationError) -> SwitchbackConfiguration.AccessNumber {
        var campaign: String?
        var entry = SwitchbackConfiguration.AccessNumber(campaign: "")
        entry.line = node.mark.map { $0.line }
        for (k, s) in try mapping(node, path, allowed: ["campaign", "callback", "ring", "anumberhandling", "sip-digest",
                                                        "caller-number"]) {
            switch k {
            case "campaign": campaign = try string(s, "\(path).campaign")
            case "callback":
                let text = try string(s, "\(path).callback")
                guard !text.trimmingCharacters(in: .whitespaces).isEmpty else {
                    throw fail(s, "\(path).callback", "expected a mode (none, auto, ..., always-ivr, 0-7) or a campaign")
                }
                entry.callback = CallbackMode(parsing: text)
            case "anumberhandling": entry.anumberhandling = try anumberhandling(s, "\(path).anumberhandling")
            case "sip-digest":
                let text = try string(s, "\(path).sip-digest")
                guard let policy = SwitchbackConfiguration.SIPDigestPolicy(rawValue: text.lowercased()) else {
                    throw fail(s, "\(path).sip-digest", "expected auto, always or never, got '\(text)'")
                }
                entry.sipDigest = policy
            case "caller-number": entry.callerNumber = try string(s, "\(path).caller-number")
            default: entry.ringMilliseconds = try duration(s, "\(path).ring")
            }
        }
        guard let campaign else { throw fail(node, path, "an access number needs a campaign") }
        entry.campaign = campaign
        return entry
    }

    /// `spool: PATH` or `spool: { file: PATH, rejects: PATH, poll: 500ms }`.
    func spool(_ node: Node) throws(ConfigurationError) -> SwitchbackConfiguration.Spool {
        if node.scalar != nil {
            let file = try string(node, "spool")
            guard !file.isEmpty else { throw fail(node, "spool", "expected the path of the spool file") }
            return SwitchbackConfiguration.Spool(file: file)
        }
        var spool = SwitchbackConfiguration.Spool(file: "")
        for (k, v) in try mapping(node, "spool", allowed: ["file", "rejects", "poll"]) {
            switch k {
            case "file": spool.file = try string(v, "spool.file")
            case "rejects": spool.rejects = try string(v, "spool.rejects")
            default: spool.pollInterval = try period(v, "spool.poll", within: .milliseconds(10) ... .seconds(60))
            }
        }
        guard !spool.file.isEmpty else { throw fail(node, "spool", "a spool needs a file") }
        return spool
    }

    func readCallback(_ node: Node, into callback: inout SwitchbackConfiguration.Callback) throws(ConfigurationError) {
        let keys: Set<String> = ["delay", "caller-number", "anumberhandling", "max-participants", "free-ivr-access",
                                 "free-access-user", "retry", "limits", "idempotency-window", "pin-lockout", "did-campaign",
                                 "web-campaign"]
        for (k, v) in try mapping(node, "callback", allowed: keys) {
            let path = "callback.\(k)"
            switch k {
            case "delay": callback.delay = try period(v, path, within: .zero ... .seconds(3600))
            case "caller-number": callback.callerNumber = try string(v, path)
            case "anumberhandling": callback.anumberhandling = try anumberhandling(v, path)
            case "max-participants":
                callback.maxParticipants = try int(v, path)
                guard callback.maxParticipants >= 2 else { throw fail(v, path, "must be at least 2 (a conference)") }
            case "free-ivr-access": callback.freeIVRAccess = try bool(v, path)
            case "free-access-user": callback.freeAccessUser = try string(v, path)
            case "idempotency-window": callback.idempotencyWindow = try period(v, path, within: .seconds(1) ... .seconds(86_400))
            case "did-campaign": callback.didCampaign = try string(v, path)
            case "web-campaign": callback.webCampaign = try string(v, path)
            case "retry":
                for (rk, rv) in try mapping(v, path, allowed: ["attempts", "backoff"]) {
                    if rk == "attempts" {
                        callback.retry.attempts = try int(rv, "\(path).attempts")
                        guard callback.retry.attempts >= 1 else { throw fail(rv, "\(path).attempts", "must be at least 1") }
                    } else {
                        callback.retry.backoff = try period(rv, "\(path).backoff", within: .zero ... .seconds(86_400))
                    }
                }
            case "limits": try readCallbackLimits(v, path, into: &callback.limits)
            default:
                for (pk, pv) in try mapping(v, path, allowed: ["attempts", "period", "source-attempts", "global-attempts"]) {
                    switch pk {
                    case "period":
                        callback.pinLockout.period = try period(pv, "\(path).period", within: .seconds(1) ... .seconds(7 * 86_400))
                    default:
                        let value = try int(pv, "\(path).\(pk)")
                        guard value >= 1 else { throw fail(pv, "\(path).\(pk)", "must be at least 1") }
                        if pk == "attempts" { callback.pinLockout.attempts = value }
                        else if pk == "source-attempts" { callback.pinLockout.sourceAttempts = value }
                        else { callback.pinLockout.globalAttempts = value }
                    }
                }
            }
        }
    }

    /// `callback.limits`: per-account limits of the queue and the trigger rate limits
    /// (`TriggerRateLimiter`). Rates must admit at least one trigger a minute; the
    /// concurrent unauthenticated cap may be 0 (no callback for an unauthenticated caller).
    /// A global limit below a per-caller or per-source one is allowed: the smallest wins.
    func readCallbackLimits(_ node: Node, _ path: String,
                            into limits: inout SwitchbackConfiguration.Callback.Limits) throws(ConfigurationError) {
        let keys: Set<String> = ["concurrent-per-account", "per-hour-per-account", "per-minute-per-caller-id",
                                 "per-minute-per-source", "per-minute-global", "concurrent-unauthenticated"]
        for (key, value) in try mapping(node, path, allowed: keys) {
            let keyPath = "\(path).\(key)"
            let number = try int(value, keyPath)
            let least = key == "concurrent-unauthenticated" ? 0 : 1
            guard number >= least else { throw fail(value, keyPath, "must be at least \(least)") }
            switch key {
            case "concurrent-per-account": limits.concurrentPerAccount = number
            case "per-hour-per-account": limits.perHourPerAccount = number
            case "per-minute-per-caller-id": limits.perMinutePerCallerID = number
            case "per-minute-per-source": limits.perMinutePerSource = number
            case "per-minute-global": limits.perMinuteGlobal = number
            default: limits.concurrentUnauthenticated = number
            }
        }
    }

    /// Cross-references, once every key is read: campaigns named by access numbers and by
    /// the callback section exist; free IVR access names its account.
    func check(_ c: SwitchbackConfiguration) throws(ConfigurationError) {
        for number in c.accessNumbers.keys.sorted() {
            guard let entry = c.accessNumbers[number] else { continue }
            if c.campaigns[entry.campaign] == nil {
                throw ConfigurationError(file: file, line: nil, path: "access-numbers.\(number).campaign",
                                         message: "unknown campaign '\(entry.campaign)'")
            }
            if case .script(let id) = entry.callback, c.campaigns[id] == nil {
                throw ConfigurationError(file: file, line: entry.line, path: "access-numbers.\(number).callback",
                                         message: "'\(id)' is neither a mode (none, auto, ivr-unless-authenticated, "
                                             + "ivr-if-authenticated, drop-unauthenticated, drop-authenticated, always, "
                                             + "always-ivr, 0-7) nor a campaign")
            }
        }
        if let did = c.callback.didCampaign, c.campaigns[did] == nil {
            throw ConfigurationError(file: file, line: nil, path: "callback.did-campaign", message: "unknown campaign '\(did)'")
        }
        try checkSMS(c)
        if let web = c.callback.webCampaign, c.campaigns[web] == nil {
            throw ConfigurationError(file: file, line: nil, path: "callback.web-campaign", message: "unknown campaign '\(web)'")
        }
        if c.callback.freeIVRAccess && (c.callback.freeAccessUser ?? "").isEmpty {
            throw ConfigurationError(file: file, line: nil, path: "callback.free-access-user",
                                     message: "free-ivr-access needs the account login its calls are billed to")
        }
    }

    /// `trusted-sources:` — CIDRs or single addresses, IPv4 or IPv6.
    func networks(_ node: Node, _ path: String) throws(ConfigurationError) -> [SourceNetwork] {
        guard let sequence = node.sequence else { throw fail(node, path, "expected a list of CIDRs such as 192.0.2.0/24") }
        var result: [SourceNetwork] = []
        for item in sequence {
            let text = try string(item, path)
            guard let network = SourceNetwork(parsing: text) else {
                throw fail(item, path, "'\(text)' is not an IPv4 or IPv6 address or CIDR (such as 192.0.2.0/24 or 2001:db8::/32)")
            }
            result.append(network)
        }
        return result
    }

    /// `{ attempts: N, period: 15m }`.
    func lockout(_ node: Node, _ path: String,
                 base: SwitchbackConfiguration.Lockout) throws(ConfigurationError) -> SwitchbackConfiguration.Lockout {
        var result = base
        for (k, v) in try mapping(node, path, allowed: ["attempts", "period"]) {
            if k == "attempts" {
                result.attempts = try int(v, "\(path).attempts")
                guard result.attempts >= 1 else { throw fail(v, "\(path).attempts", "must be at least 1") }
            } else {
                result.period = try period(v, "\(path).period", within: .seconds(1) ... .seconds(7 * 86_400))
            }
        }
        return result
    }

    func anumberhandling(_ node: Node, _ path: String) throws(ConfigurationError) -> ANumberHandling {
        guard let value = try? int(node, path), let handling = ANumberHandling(rawValue: value) else {
            throw fail(node, path, "must be 0 (disabled), 1 (only add), 2 (only accept) or 3 (add and accept)")
        }
        return handling
    }

    func bool(_ node: Node, _ path: String) throws(ConfigurationError) -> Bool {
        switch try string(node, path).lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw fail(node, path, "expected true or false")
        }
    }

    /// Longer durations: `500ms`, `3s`, `15m`, `2h`, or a bare number of seconds.
    func period(_ node: Node, _ path: String, within range: ClosedRange<Duration>) throws(ConfigurationError) -> Duration {
        let text = try string(node, path).trimmingCharacters(in: .whitespaces)
        let units: [(String, Int64)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        var milliseconds: Int64?
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let number = Int64(text.dropLast(suffix.count)) { milliseconds = number * scale }
            break
        }
        if milliseconds == nil, let seconds = Int64(text) { milliseconds = seconds * 1000 }
        guard let milliseconds, milliseconds >= 0, range.contains(.milliseconds(milliseconds)) else {
            throw fail(node, path, "expected a duration such as 3s, 15m or 500ms between \(Self.text(range.lowerBound)) "
                + "and \(Self.text(range.upperBound)), got '\(text)'")
        }
        return .milliseconds(milliseconds)
    }

    static func text(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        if milliseconds % 3_600_000 == 0, milliseconds > 0 { return "\(milliseconds / 3_600_000)h" }
        if milliseconds % 60_000 == 0, milliseconds > 0 { return "\(milliseconds / 60_000)m" }
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        return "\(milliseconds)ms"
    }
}
