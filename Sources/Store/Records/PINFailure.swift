import Foundation
import GRDB

/// One failed PIN entry (table `pinFailure`), by caller ID and/or against an account.
public struct PINFailure: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pinFailure"
    public var id: Int64?
    public var callerID: String?
    public var accountID: Int64?
    public var failedAt: Date

    public enum Columns {
        public static let callerID = Column(CodingKeys.callerID)
        public static let accountID = Column(CodingKeys.accountID)
        public static let failedAt = Column(CodingKeys.failedAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
