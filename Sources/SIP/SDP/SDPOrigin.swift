/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 4566 §5.2).
public struct SDPOrigin: Hashable, Sendable, CustomStringConvertible {
    public var username: String
    public var sessionID: UInt64
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: UInt64, sessionVersion: UInt64, networkType: String = "IN", addressType: String, address: String) {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init(parsing value: Substring, line: Int) throws(SDPParseError) {
        let f = SDPText.fields(value)
        guard f.count == 6 else { throw SDPParseError(line: line, reason: "o= needs 6 fields, found \(f.count)") }
        // Session ids are numeric in practice but may exceed 64 bits; keep the low digits' value.
        guard let id = UInt64(f[1]) ?? UInt64(f[1].suffix(18)), let version = UInt64(f[2]) ?? UInt64(f[2].suffix(18)) else {
            throw SDPParseError(line: line, reason: "o= session id and version must be numbers")
        }
        username = String(f[0]); sessionID = id; sessionVersion = version
        networkType = String(f[3]); addressType = String(f[4]); address = String(f[5])
    }

    public var description: String {
        "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)"
    }
}
