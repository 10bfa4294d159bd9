import SIP

/// RFC 3261 §18.2.1 and RFC 3581: what a server adds to the top Via of a request it
/// receives, so that responses find their way back through NAT.
public enum ViaStamping {
    /// Adds `received` when the sent-by host differs from the packet's source, and fills
    /// `rport` with the source port when the client asked for it.
    public static func stamp(_ request: inout SIPRequest, sourceHost: String, sourcePort: Int) {
        var vias = request.headers.values("Via")
        guard !vias.isEmpty, var top = try? SIPVia(parsing: vias[0]) else { return }
        var changed = false
        if case .requested = top.rport {
            top.rport = .value(sourcePort)
            top.received = sourceHost
            changed = true
        } else if top.host != sourceHost {
            top.received = sourceHost
            changed = true
        }
        guard changed else { return }
        vias[0] = top.description
        request.headers.remove("Via")
        for via in vias { request.headers.add("Via", via) }
    }
}

/// Where a response goes (§18.2.2 with RFC 3581 §4): on a reliable transport back on
/// the connection; otherwise to `received` (or sent-by) at `rport` (or sent-by port).
public enum ResponseRouting {
    public struct Destination: Sendable, Hashable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }
    }

    public static func destination(for response: SIPResponse) -> Destination? {
        guard let via = response.topVia else { return nil }
        let host = via.received ?? via.host
        let port: Int
        if case .value(let rport) = via.rport {
            port = rport
        } else {
            port = via.port ?? 5060
        }
        return Destination(host: host, port: port)
    }
}
