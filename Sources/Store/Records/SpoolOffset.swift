import Foundation
import GRDB

/// How far a transaction spool file has been read (table `spoolOffset`).
public struct SpoolOffset: Codable, Sendable, Hashable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "spoolOffset"
    public var path: String
    public var byteOffset: Int64
    public var updatedAt: Date

    public enum Columns {
        public static let path = Column(CodingKeys.path)
    }
}
