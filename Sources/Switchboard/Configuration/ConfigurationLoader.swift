import Foundation
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
    public static func load(contentsOf url: URL) throws(ConfigurationError) -> SwitchbackConfiguration {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: url.path, line: nil, path: "", message: "cannot read: \(error.localizedDescription)")
        }
        var configuration = SwitchbackConfiguration.embeddedDefaults()
        try apply(yaml: text, file: url.path, to: &configuration)
        return configuration
    }

    public static func parse(yaml: String, file: String) throws(ConfigurationError) -> SwitchbackConfiguration {
        var configuration = SwitchbackConfiguration()
        try apply(yaml: yaml, file: file, to: &configuration)
        return configuration
    }

    static func apply(yaml: String, file: String, to configuration: inout SwitchbackConfiguration) throws(ConfigurationError) {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: yaml) else { return }
            root = node
        } catch let error as YamlError {
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
        let top: Set<String> = ["sip", "media", "http", "database", "sounds", "trunks", "campaigns", "access-numbers", "callback"]
        for (key, node) in try mapping(root, "", allowed: top) {
            switch key {
            case "sip":
                for (k, v) in try mapping(node, "sip", allowed: ["listen", "domain", "advertise"]) {
                    switch k {
                    case "listen": c.sip.listen = try strings(v, "sip.listen")
                    case "domain": c.sip.domain = try string(v, "sip.domain")
                    default: c.sip.advertise = try string(v, "sip.advertise")
                    }
                }
            case "media":
                for (k, v) in try mapping(node, "media", allowed: ["rtp-ports", "bind"]) {
                    if k == "bind" { c.media.bind = try string(v, "media.bind"); continue }
                    let text = try string(v, "media.rtp-ports")
                    let parts = text.split(separator: "-").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                    guard parts.count == 2, parts[0] >= 1024, parts[1] <= 65535, parts[1] - parts[0] >= 3 else {
                        throw fail(v, "media.rtp-ports", "expected LOW-HIGH within 1024-65535 with room for two calls, got '\(text)'")
                    }
                    c.media.rtpPorts = parts[0]...parts[1]
                }
            case "http":
                for (k, v) in try mapping(node, "http", allowed: ["listen", "admin-token"]) {
                    switch k {
                    case "listen": c.http.listen = try string(v, "http.listen")
                    default:
                        let token = try string(v, "http.admin-token")
                        guard !token.trimmingCharacters(in: .whitespaces).isEmpty else {
                            throw fail(v, "http.admin-token", "must not be empty (leave the key out to allow loopback clients only)")
                        }
                        c.http.adminToken = token
                    }
                }
            case "database":
                c.database = try string(node, "database")
            case "sounds":
                c.sounds = try string(node, "sounds")
            case "trunks":
                guard let items = node.sequence else { throw fail(node, "trunks", "expected a list") }
                c.trunks = []
                for (index, item) in items.enumerated() {
                    let path = "trunks[\(index)]"
                    var trunk = SwitchbackConfiguration.Trunk(name: "", uri: "")
                    for (k, v) in try mapping(item, path, allowed: ["name", "uri", "destinations", "transport", "username",
                                                                    "password", "strip", "prefix", "caller-id"]) {
                        switch k {
                        case "name": trunk.name = try string(v, "\(path).name")
                        case "uri": trunk.uri = try string(v, "\(path).uri")
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
                        default: trunk.destinations = try strings(v, "\(path).destinations")
                        }
                    }
                    if (trunk.username == nil) != (trunk.password == nil) {
                        throw fail(item, path, "username and password go together (digest credentials for the gateway)")
                    }
                    if trunk.name.isEmpty || trunk.uri.isEmpty { throw fail(item, path, "a trunk needs a name and a uri") }
                    c.trunks.append(trunk)
                }
            case "campaigns":
                c.campaigns = [:]
                for (name, v) in try mapping(node, "campaigns", allowed: []) {
                    let path = "campaigns.\(name)"
                    var script: String?
                    for (_, s) in try mapping(v, path, allowed: ["script"]) { script = try string(s, "\(path).script") }
                    guard let script else { throw fail(v, path, "a campaign needs a script") }
                    c.campaigns[name] = .init(script: script)
                }
            case "access-numbers":
                c.accessNumbers = [:]
                for (number, v) in try mapping(node, "access-numbers", allowed: []) {
                    let path = "access-numbers.\(number)"
                    var campaign: String?
                    var entry = SwitchbackConfiguration.AccessNumber(campaign: "")
                    for (k, s) in try mapping(v, path, allowed: ["campaign", "callback", "ring"]) {
                        switch k {
                        case "campaign": campaign = try string(s, "\(path).campaign")
                        case "callback": entry.callback = try string(s, "\(path).callback")
                        default: entry.ringMilliseconds = try duration(s, "\(path).ring")
                        }
                    }
                    guard let campaign else { throw fail(v, path, "an access number needs a campaign") }
                    entry.campaign = campaign
                    c.accessNumbers[number] = entry
                }
            default:
                for (k, v) in try mapping(node, "callback", allowed: ["delay", "caller-number", "anumberhandling", "max-participants"]) {
                    switch k {
                    case "delay": c.callback.delay = try string(v, "callback.delay")
                    case "caller-number": c.callback.callerNumber = try string(v, "callback.caller-number")
                    case "anumberhandling":
                        let value = try int(v, "callback.anumberhandling")
                        guard (0...3).contains(value) else { throw fail(v, "callback.anumberhandling", "must be 0, 1, 2 or 3") }
                        c.callback.anumberhandling = value
                    default: c.callback.maxParticipants = try int(v, "callback.max-participants")
                    }
                }
            }
        }
        for (number, entry) in c.accessNumbers where c.campaigns[entry.campaign] == nil {
            throw ConfigurationError(file: file, line: nil, path: "access-numbers.\(number).campaign",
                                     message: "unknown campaign '\(entry.campaign)'")
        }
    }
}
