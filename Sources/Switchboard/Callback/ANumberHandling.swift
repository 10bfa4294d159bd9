import Foundation

/// Mizu's `anumberhandling`: whether caller IDs are remembered after a PIN success
/// ("add") and whether a remembered caller ID authenticates its account ("accept").
/// Global under `callback:`, overridable per access number.
public enum ANumberHandling: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case disabled = 0
    case addOnly = 1
    case acceptOnly = 2
    case addAndAccept = 3

    /// A caller ID on an account's authorised list authenticates the caller (ANI).
    public var acceptsKnownCallerIDs: Bool { self == .acceptOnly || self == .addAndAccept }
    /// A caller authenticated by PIN has its caller ID remembered.
    public var remembersCallerIDs: Bool { self == .addOnly || self == .addAndAccept }

    public var description: String {
        switch self {
        case .disabled: return "0 (disabled)"
        case .addOnly: return "1 (only add)"
        case .acceptOnly: return "2 (only accept)"
        case .addAndAccept: return "3 (add and accept)"
        }
    }
}
