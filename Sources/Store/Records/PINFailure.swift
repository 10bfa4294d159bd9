import Foundation
import GRDB

/// One failed PIN entry (table `pinFailure`), by caller ID, from a source and/or against an account.
public struct PINFailure: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pinFailure"
    public var id: Int64?
    public var callerID: String?
    public var accountID: Int64?
    public var failedAt: Date
    /// The transport source address of the call (issue 11), nil: unknown.
    public var sourceAddress: String?

    public init(id: Int64?, callerID: String?, accountID: Int64?, failedAt: Date, sourceAddress: String? = nil) {
        self.id = id
        self.callerID = callerID
        self.accountID = accountID
        self.failedAt = failedAt
        self.sourceAddress = sourceAddress
    }

    public enum Columns {
        public static let callerID = Column(CodingKeys.callerID)
        public static let accountID = Column(CodingKeys.accountID)
        public static let failedAt = Column(CodingKeys.failedAt)
        public static let sourceAddress = Column(CodingKeys.sourceAddress)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
