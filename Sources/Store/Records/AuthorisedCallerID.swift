import Foundation
import GRDB

/// A phone number allowed to authenticate as an account by caller ID (ANI), table
/// `authorisedCallerID`. A number belongs to at most one account.
public struct AuthorisedCallerID: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "authorisedCallerID"
    public var id: Int64?
    public var accountID: Int64
    public var number: String
    public var createdAt: Date

    public enum Columns {
        public static let accountID = Column(CodingKeys.accountID)
        public static let number = Column(CodingKeys.number)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
