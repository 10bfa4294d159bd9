import Foundation
import GRDB

/// A named batch of generated accounts (table `accountLot`), e.g. a print run of cards.
public struct AccountLot: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "accountLot"
    public var id: Int64?
    public var name: String
    public var size: Int
    public var createdAt: Date

    public enum Columns {
        public static let name = Column(CodingKeys.name)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
