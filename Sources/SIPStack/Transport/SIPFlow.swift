import NIOCore

public enum SIPTransportKind: String, Sendable, Hashable, CaseIterable {
    case udp = "UDP"
    case tcp = "TCP"

    public var reliability: TransportReliability { self == .udp ? .unreliable : .reliable }
}

/// The path a message came in on, and the way back: for UDP the listening socket and
/// the peer's address; for TCP the connection itself (§18.2.2: responses reuse it).
public struct SIPFlow: Sendable, CustomStringConvertible {
    public let transport: SIPTransportKind
    public let remote: SocketAddress
    public let channel: any Channel

    public init(transport: SIPTransportKind, remote: SocketAddress, channel: any Channel) {
        self.transport = transport
        self.remote = remote
        self.channel = channel
    }

    public var remoteHost: String { remote.ipAddress ?? "?" }
    public var remotePort: Int { remote.port ?? 0 }
    public var description: String { "\(transport.rawValue.lowercased()):\(remoteHost):\(remotePort)" }
}

/// Where to send a request we originate.
public struct SIPDestination: Sendable, Hashable, CustomStringConvertible {
    public var transport: SIPTransportKind
    public var host: String
    public var port: Int

    public init(transport: SIPTransportKind, host: String, port: Int) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    public var description: String { "\(transport.rawValue.lowercased()):\(host):\(port)" }
}
