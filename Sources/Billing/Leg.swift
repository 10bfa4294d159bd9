import Foundation

/// Which leg of a callback a charge belongs to. The A leg goes to the user (the callback
/// itself); the B leg goes to the destination the user asked for.
public enum Leg: String, Sendable, Hashable, Codable, CaseIterable {
    case a
    case b
}
