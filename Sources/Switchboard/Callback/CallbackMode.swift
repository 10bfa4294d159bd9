import Foundation

/// What an access number does with a call (`callback:` of an access number), compatible
/// with Mizu's `iscallback`: the names and numeric codes of DESIGN.md's table, and any
/// other value names a campaign whose script runs instead.
public enum CallbackMode: Sendable, Hashable, CustomStringConvertible {
    /// 0: calling card: answer and run the script.
    case none
    /// 1: IVR unless `anumberhandling` authenticates the caller by caller ID, then call back.
    case auto
    /// 2: IVR if the caller is not authenticated, otherwise call back at once.
    case ivrUnlessAuthenticated
    /// 3: IVR if authenticated, otherwise call back at once.
    case ivrIfAuthenticated
    /// 4: drop if not authenticated, otherwise call back at once.
    case dropUnauthenticated
    /// 5: drop if authenticated, otherwise call back at once.
    case dropAuthenticated
    /// 6: call back at once, always.
    case always
    /// 7: always IVR.
    case alwaysIVR
    /// Any other value: run this campaign's script (answer, no callback).
    case script(String)

    /// The named modes in code order (index = Mizu's numeric code).
    public static let namedModes: [CallbackMode] = [
        .none, .auto, .ivrUnlessAuthenticated, .ivrIfAuthenticated, .dropUnauthenticated, .dropAuthenticated,
        .always, .alwaysIVR,
    ]

    /// Reads a configured value: a name (`always`), a code (`6`), or a script id.
    public init(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let code = Int(trimmed), Self.namedModes.indices.contains(code) {
            self = Self.namedModes[code]
        } else if let named = Self.namedModes.first(where: { $0.name == trimmed.lowercased() }) {
            self = named
        } else {
            self = .script(trimmed)
        }
    }

    /// The configuration name (`ivr-unless-authenticated`), or the script id.
    public var name: String {
        switch self {
        case .none: return "none"
        case .auto: return "auto"
        case .ivrUnlessAuthenticated: return "ivr-unless-authenticated"
        case .ivrIfAuthenticated: return "ivr-if-authenticated"
        case .dropUnauthenticated: return "drop-unauthenticated"
        case .dropAuthenticated: return "drop-authenticated"
        case .always: return "always"
        case .alwaysIVR: return "always-ivr"
        case .script(let id): return id
        }
    }

    /// Mizu's numeric code, nil for a script id.
    public var code: Int? { Self.namedModes.firstIndex(of: self) }

    public var description: String { name }

    /// Whether this mode can ever call back (and so ring-then-busy instead of answering).
    public var mayCallBack: Bool {
        switch self {
        case .none, .alwaysIVR, .script: return false
        default: return true
        }
    }
}
