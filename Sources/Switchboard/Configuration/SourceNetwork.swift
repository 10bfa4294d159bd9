#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// One entry of `trusted-sources:`: an IPv4 or IPv6 network in CIDR notation
/// (`192.0.2.0/24`, `2001:db8::/32`), or a single address (`127.0.0.1`, `::1`).
public struct SourceNetwork: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), host bits cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    /// Nil for anything that is not an address with an optional `/prefix` in range.
    public init?(parsing text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2, let bytes = Self.bytes(of: String(parts[0])) else { return nil }
        let bits = bytes.count * 8
        var length = bits
        if parts.count == 2 {
            guard let given = Int(parts[1]), given >= 0, given <= bits, !parts[1].hasPrefix("+") else { return nil }
            length = given
        }
        prefixLength = length
        network = Self.masked(bytes, length)
    }

    /// Whether `address` (text, as a socket reports it) is inside. An IPv4-mapped IPv6
    /// address (`::ffff:192.0.2.1`) counts as its IPv4 address.
    public func contains(_ address: String) -> Bool {
        guard let bytes = Self.bytes(of: address), bytes.count == network.count else { return false }
        return Self.masked(bytes, prefixLength) == network
    }

    public var description: String {
        let text: String
        if network.count == 4 {
            text = network.map(String.init).joined(separator: ".")
        } else {
            text = stride(from: 0, to: 16, by: 2).map { String(UInt16(network[$0]) << 8 | UInt16(network[$0 + 1]), radix: 16) }
                .joined(separator: ":")
        }
        return "\(text)/\(prefixLength)"
    }

    /// The bytes of an IPv4 or IPv6 address (brackets and a zone index allowed), IPv4-mapped
    /// IPv6 addresses as IPv4; nil for anything else (names are not addresses).
    public static func bytes(of text: String) -> [UInt8]? {
        var address = text.trimmingCharacters(in: .whitespaces)
        if address.hasPrefix("["), address.hasSuffix("]") { address = String(address.dropFirst().dropLast()) }
        if let percent = address.firstIndex(of: "%") { address = String(address[..<percent]) }
        if !address.contains(":") {
            var v4 = in_addr()
            guard inet_pton(AF_INET, address, &v4) == 1 else { return nil }
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, address, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12..<16]) }
        return bytes
    }

    static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        var out = bytes
        for index in out.indices {
            let keep = max(0, min(8, length - index * 8))
            out[index] &= keep == 0 ? 0 : UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
        return out
    }
}
