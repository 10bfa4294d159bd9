import Media
import SIP
import SIPStack

/// Chooses the trunk for a dialled number and says how to reach it: the longest
/// destination prefix among the configured trunks wins (`"*"` matches any number and
/// loses to every real prefix; on a tie the trunk listed first wins), then the trunk's
/// rewriting (strip, prefix) gives the number put in the Request-URI
/// `sip:<number>@<gateway>` (RFC 3261 §19.1.1), sent to the gateway's host and port
/// over its transport.
///
/// Pure: built once from the configuration; the configuration's mistakes are found
/// here, at start-up, not on the first call.
public struct TrunkSelector: Sendable {
    /// A trunk as parsed from the configuration.
    public struct Trunk: Sendable, Equatable {
        public var name: String
        public var gateway: SIPURI
        public var destination: SIPDestination
        public var prefixes: [String]
        public var strip: Int
        public var prefix: String
        public var login: DigestLogin?
        public var callerID: String?
        public var dtmf: DTMFMode = .auto
    }

    /// Where and how to place a call to one number.
    public struct Route: Sendable, Equatable {
        public var trunk: String
        /// The number as dialled by the script.
        public var dialled: String
        /// The number after the trunk's rewriting: the Request-URI's user part.
        public var number: String
        public var requestURI: SIPURI
        public var destination: SIPDestination
        public var login: DigestLogin?
        /// The trunk's default caller ID, if it has one.
        public var callerID: String?
        /// Route header values of the INVITE (a registered phone's Path, RFC 3327): the
        /// proxies it passes, `destination` being the first of them. Empty for trunks.
        public var routeSet: [String]
        /// How keys are heard on the leg (the trunk's `dtmf:`; `auto` for a registered phone).
        public var dtmf: DTMFMode

        public init(trunk: String, dialled: String, number: String, requestURI: SIPURI, destination: SIPDestination,
                    login: DigestLogin? = nil, callerID: String? = nil, routeSet: [String] = [], dtmf: DTMFMode = .auto) {
            self.trunk = trunk
            self.dtmf = dtmf
            self.dialled = dialled
            self.number = number
            self.requestURI = requestURI
            self.destination = destination
            self.login = login
            self.callerID = callerID
            self.routeSet = routeSet
        }
    }

    public let trunks: [Trunk]

    public init(configuration trunks: [SwitchbackConfiguration.Trunk]) throws(TrunkSelectionError) {
        var parsed: [Trunk] = []
        for trunk in trunks {
            let gateway: SIPURI
            do {
                gateway = try SIPURI(parsing: trunk.uri)
            } catch {
                throw .badTrunkURI(trunk: trunk.name, uri: trunk.uri, reason: "\(error)")
            }
            guard gateway.isSIP, !gateway.host.isEmpty else {
                throw .badTrunkURI(trunk: trunk.name, uri: trunk.uri, reason: "expected a sip: URI with a host")
            }
            let transportName = trunk.transport ?? gateway.parameters.first { $0.name.lowercased() == "transport" }?.value ?? "udp"
            let transport: SIPTransportKind
            switch transportName.lowercased() {
            case "udp": transport = .udp
            case "tcp": transport = .tcp
            default: throw .unsupportedTransport(trunk: trunk.name, transport: transportName)
            }
            let defaultPort = gateway.scheme == "sips" ? 5061 : 5060
            let login = trunk.username.map { DigestLogin(username: $0, password: trunk.password ?? "") }
            parsed.append(Trunk(name: trunk.name, gateway: gateway,
                                destination: SIPDestination(transport: transport, host: gateway.host, port: gateway.port ?? defaultPort),
                                prefixes: trunk.destinations, strip: trunk.strip, prefix: trunk.prefix, login: login,
                                callerID: trunk.callerID, dtmf: trunk.dtmf))
        }
        self.trunks = parsed
    }

    /// The route for `number`, or `.noTrunk` when no trunk carries it.
    public func route(for number: String) throws(TrunkSelectionError) -> Route {
        var best: (trunk: Trunk, length: Int)?
        for trunk in trunks {
            for prefix in trunk.prefixes {
                let length: Int
                if prefix == "*" {
                    length = 0
                } else if number.hasPrefix(prefix) {
                    length = prefix.count
                } else {
                    continue
                }
                if best == nil || length > best!.length { best = (trunk, length) }
            }
        }
        guard let trunk = best?.trunk else { throw .noTrunk(number: number) }
        let rewritten = trunk.prefix + String(number.dropFirst(min(trunk.strip, number.count)))
        guard !rewritten.isEmpty else { throw .emptyNumber(number: number, trunk: trunk.name) }
        var uri = SIPURI(scheme: trunk.gateway.scheme, user: rewritten, host: trunk.gateway.host, port: trunk.gateway.port,
                         parameters: trunk.gateway.parameters)
        uri.headers = []
        return Route(trunk: trunk.name, dialled: number, number: rewritten, requestURI: uri, destination: trunk.destination,
                     login: trunk.login, callerID: trunk.callerID, dtmf: trunk.dtmf)
    }
}
