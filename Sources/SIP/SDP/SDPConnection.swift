/// `c=<nettype> <addrtype> <connection-address>` (RFC 4566 §5.7).
public struct SDPConnection: Hashable, Sendable, CustomStringConvertible {
    public var networkType: String
    public var addressType: String
    /// As written, possibly with `/ttl[/count]` for multicast.
    public var address: String

    public init(networkType: String = "IN", addressType: String? = nil, address: String) {
        self.networkType = networkType
        self.addressType = addressType ?? (address.contains(":") ? "IP6" : "IP4")
        self.address = address
    }

    /// The address without multicast TTL/count suffixes.
    public var host: String { String(address.split(separator: "/", maxSplits: 1).first ?? "") }

    init(parsing value: Substring, line: Int) throws(SDPParseError) {
        let f = SDPText.fields(value)
        guard f.count == 3 else { throw SDPParseError(line: line, reason: "c= needs 3 fields, found \(f.count)") }
        networkType = String(f[0]); addressType = String(f[1]); address = String(f[2])
    }

    public var description: String { "\(networkType) \(addressType) \(address)" }
}
