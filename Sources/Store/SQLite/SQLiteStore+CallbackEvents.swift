import Foundation
import GRDB

extension CallbackEvent: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "callbackEvent"

    enum Columns {
        static let id = Column(CodingKeys.id)
        static let requestID = Column(CodingKeys.requestID)
    }
}

extension SQLiteStore: CallbackEventStore {
    public func callbackEvents(request id: Int64, after: Int64?) throws -> [CallbackEvent] {
        try writer.read { db in
            try CallbackEvent.filter(CallbackEvent.Columns.requestID == id && CallbackEvent.Columns.id > (after ?? 0))
                .order(CallbackEvent.Columns.id)
                .fetchAll(db)
        }
    }

    public func callbackRequests(account id: Int64, limit: Int) throws -> [CallbackRequest] {
        try writer.read { db in
            try CallbackRequest.filter(CallbackRequest.Columns.accountID == id)
                .order(Column("id").desc)
                .limit(max(0, limit))
                .fetchAll(db)
        }
    }
}
