import Foundation

/// A named batch of generated accounts (table `accountLot`), e.g. a print run of cards.
public struct AccountLot: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var name: String
    public var size: Int
    public var createdAt: Date
}
