import Foundation
import GRDB

/// A named number in an account's address book (table `addressBookEntry`); `slot` is the
/// `k` of the SMS command `N<k>`, `name` the `B.<name>`.
public struct AddressBookEntry: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "addressBookEntry"
    public var id: Int64?
    public var accountID: Int64
    public var slot: Int
    public var name: String
    public var number: String

    public enum Columns {
        public static let accountID = Column(CodingKeys.accountID)
        public static let slot = Column(CodingKeys.slot)
        public static let name = Column(CodingKeys.name)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
