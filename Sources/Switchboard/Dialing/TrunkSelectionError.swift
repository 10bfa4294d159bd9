/// Why a number cannot be routed, or a trunk cannot be used.
public enum TrunkSelectionError: Error, Equatable, CustomStringConvertible {
    case badTrunkURI(trunk: String, uri: String, reason: String)
    case unsupportedTransport(trunk: String, transport: String)
    case noTrunk(number: String)
    case emptyNumber(number: String, trunk: String)

    public var description: String {
        switch self {
        case let .badTrunkURI(trunk, uri, reason): return "trunk \(trunk): bad uri '\(uri)': \(reason)"
        case let .unsupportedTransport(trunk, transport): return "trunk \(trunk): unsupported transport '\(transport)' (udp or tcp)"
        case let .noTrunk(number): return "no trunk carries \(number) (no destination prefix matches)"
        case let .emptyNumber(number, trunk): return "trunk \(trunk) rewrites \(number) to an empty number"
        }
    }
}
