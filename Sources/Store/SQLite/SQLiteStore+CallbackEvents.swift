import Foundation
import GRDB

extension CallbackEvent: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "callbackEvent"

    enum EventColumns {
        static let id = Column("id")
        static let requestID = Column("requestID")
    }
}

extension SQLiteStore: CallbackEventStore {
    public func callbackEvents(request id: Int64, after: Int64?) throws -> [CallbackEvent] {
        try writer.read { db in
            try CallbackEvent.filter(CallbackEvent.EventColumns.requestID == id && CallbackEvent.EventColumns.id > (after ?? 0))
                .order(CallbackEvent.EventColumns.id)
                .fetchAll(db)
        }
    }

    public func callbackRequests(account id: Int64, limit: Int) throws -> [CallbackRequest] {
        try writer.read { db in
            try CallbackRequest.filter(CallbackRequest.SQLColumns.accountID == id)
                .order(Column("id").desc)
                .limit(max(0, limit))
                .fetchAll(db)
        }
    }
}
