import Foundation
import GRDB

extension SMSActivity: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "smsActivity"

    enum ActivityColumns {
        static let kind = Column("kind")
        static let sender = Column("sender")
        static let accountID = Column("accountID")
        static let at = Column("at")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension SQLiteStore: SMSActivityStore {
    public func recordSMSActivity(_ kind: SMSActivity.Kind, sender: String?, account: Int64?, at now: Date) throws {
        let sender = sender.flatMap { $0.isEmpty ? nil : $0 }
        guard sender != nil || account != nil else { return }   // nothing to count against
        try writer.write { db in
            var activity = SMSActivity(kind: kind, sender: sender, accountID: account, at: now)
            try activity.insert(db)
        }
    }

    public func smsActivityCounts(_ kind: SMSActivity.Kind, sender: String?, account: Int64?, since: Date) throws
        -> SMSActivityCounts {
        try writer.read { db in
            let recent = SMSActivity.filter(SMSActivity.ActivityColumns.kind == kind.rawValue && SMSActivity.ActivityColumns.at >= since)
            var bySender = 0
            var byAccount = 0
            if let sender, !sender.isEmpty {
                bySender = try recent.filter(SMSActivity.ActivityColumns.sender == sender).fetchCount(db)
            }
            if let account {
                byAccount = try recent.filter(SMSActivity.ActivityColumns.accountID == account).fetchCount(db)
            }
            return SMSActivityCounts(sender: bySender, account: byAccount)
        }
    }

    public func clearSMSAuthenticationFailures(sender: String?, account: Int64?) throws {
        try writer.write { db in
            let failures = SMSActivity.filter(SMSActivity.ActivityColumns.kind == SMSActivity.Kind.authenticationFailure.rawValue)
            if let sender, !sender.isEmpty { _ = try failures.filter(SMSActivity.ActivityColumns.sender == sender).deleteAll(db) }
            if let account { _ = try failures.filter(SMSActivity.ActivityColumns.accountID == account).deleteAll(db) }
        }
    }

    public func pruneSMSActivity(before: Date) throws -> Int {
        try writer.write { db in try SMSActivity.filter(SMSActivity.ActivityColumns.at < before).deleteAll(db) }
    }
}
