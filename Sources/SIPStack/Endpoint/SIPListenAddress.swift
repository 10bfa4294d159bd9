/// One `transport:host:port` entry of `sip.listen` in the configuration.
public struct SIPListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var transport: SIPTransportKind
    public var host: String
    public var port: Int

    public init(transport: SIPTransportKind, host: String, port: Int) {
        self.transport = transport
        self.host = host
        self.port = port
    }

    public struct ParseError: Error, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String { "listen address '\(text)': \(reason)" }
    }

    /// Parses `udp:0.0.0.0:5060`, `tcp:127.0.0.1:5080`, `[::1]:5060` is not accepted.
    public init(parsing text: String) throws(ParseError) {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let transport = SIPTransportKind(rawValue: parts[0].uppercased()) else {
            throw ParseError(text: text, reason: "expected udp:HOST:PORT or tcp:HOST:PORT")
        }
        guard let colon = parts[1].lastIndex(of: ":"), let port = Int(parts[1][parts[1].index(after: colon)...]),
              (0...65535).contains(port) else {
            throw ParseError(text: text, reason: "missing or invalid port")
        }
        let host = String(parts[1][..<colon])
        guard !host.isEmpty else { throw ParseError(text: text, reason: "missing host") }
        self.init(transport: transport, host: host, port: port)
    }

    public var description: String { "\(transport.rawValue.lowercased()):\(host):\(port)" }
}
