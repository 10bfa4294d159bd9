import Foundation
import SIP
import SIPStack

/// The SIP edge proxies in front of the nodes (`sip.edge-proxies`, issue 17): Kamailio,
/// say, dispatching calls over several `switchback serve`. Every request through it
/// arrives from its address, so a node that judged by the transport source would see
/// one source for everyone: one trust (a trunk's `trusted-sources`), one trigger rate
/// budget, one PIN and digest lockout. The edge therefore writes where the request
/// really came from into `X-Switchback-Source: ip:port` (after removing any copy the
/// client sent), and a node believes that header only when the request comes from an
/// edge proxy. From anyone else the header is ignored: an attacker cannot pick the
/// source it is judged by.
public struct EdgeProxies: Sendable, Equatable {
    /// The header the edge writes the real source into.
    public static let sourceHeader = "X-Switchback-Source"

    public var networks: [SourceNetwork]

    public init(_ networks: [SourceNetwork] = []) {
        self.networks = networks
    }

    public static let none = EdgeProxies()

    /// Whether `address` (the transport source) is one of the edge proxies.
    public func contains(_ address: String) -> Bool {
        networks.contains { $0.contains(address) }
    }

    /// What a request is judged by.
    public enum Origin: Sendable, Equatable {
        /// Straight from the transport source (no edge, or the edge sent no usable header).
        case transport(SIPDestination)
        /// From an edge proxy, which said the request came from this address.
        case relayed(SIPDestination, edge: SIPDestination)
        /// Not from an edge proxy, yet carrying the header: ignored (a forgery, or a
        /// misconfigured edge missing from `sip.edge-proxies`); judged by the transport.
        case forgedHeaderIgnored(SIPDestination, claimed: String)

        /// The source to judge trust, limits and lockouts by.
        public var source: SIPDestination {
            switch self {
            case .transport(let source), .relayed(let source, _), .forgedHeaderIgnored(let source, _): source
            }
        }
    }

    /// The source of `request`, which reached us from `transport`.
    public func origin(of request: SIPRequest, transport: SIPDestination) -> Origin {
        guard let claimed = request.headers[Self.sourceHeader]?.trimmingCharacters(in: .whitespaces) else {
            return .transport(transport)
        }
        guard contains(transport.host) else { return .forgedHeaderIgnored(transport, claimed: claimed) }
        guard let (host, port) = Self.address(claimed) else { return .transport(transport) }
        return .relayed(SIPDestination(transport: transport.transport, host: host, port: port), edge: transport)
    }

    /// `192.0.2.1:5060`, `[2001:db8::1]:5060` or a bare address (port 5060): the host and
    /// port, nil for anything else (a name is not an address).
    static func address(_ text: String) -> (host: String, port: Int)? {
        var host = text
        var port = 5060
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let value = Int(rest.dropFirst()) else { return nil }
                port = value
            }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            host = String(text[..<colon])
            guard let value = Int(text[text.index(after: colon)...]) else { return nil }
            port = value
        }
        guard (1...65535).contains(port), SourceNetwork.bytes(of: host) != nil else { return nil }
        return (host, port)
    }
}
