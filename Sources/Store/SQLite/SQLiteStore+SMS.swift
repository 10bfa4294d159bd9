import Foundation
import GRDB

extension OutboundSMS: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "smsOutbox"

    enum OutboxColumns {
        static let state = Column("state")
        static let nextAttemptAt = Column("nextAttemptAt")
        static let recipient = Column("recipient")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

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

extension SQLiteStore: SMSOutboxStore {
    public func enqueueSMS(gateway: String, sender: String, recipient: String, text: String, account: Int64?,
                           at now: Date) throws -> OutboundSMS {
        try writer.write { db in
            var sms = OutboundSMS(gateway: gateway, sender: sender, recipient: recipient, text: text, accountID: account,
                                  nextAttemptAt: now, createdAt: now)
            try sms.insert(db)
            return sms
        }
    }

    public func dueSMS(at now: Date, limit: Int) throws -> [OutboundSMS] {
        try writer.read { db in
            try OutboundSMS.filter(OutboundSMS.OutboxColumns.state == OutboundSMS.State.pending.rawValue
                                   && OutboundSMS.OutboxColumns.nextAttemptAt <= now)
                .order(OutboundSMS.OutboxColumns.nextAttemptAt, Column("id")).limit(limit).fetchAll(db)
        }
    }

    public func nextSMSDue() throws -> Date? {
        try writer.read { db in
            try Date.fetchOne(db, OutboundSMS.filter(OutboundSMS.OutboxColumns.state == OutboundSMS.State.pending.rawValue)
                .select(min(OutboundSMS.OutboxColumns.nextAttemptAt)))
        }
    }

    public func markSMSSent(id: Int64, at now: Date) throws {
        try writer.write { db in
            guard var sms = try OutboundSMS.fetchOne(db, key: id) else { throw StoreError.corruptRow("smsOutbox #\(id) is missing") }
            sms.state = .sent
            sms.attempts += 1
            sms.sentAt = now
            sms.lastError = nil
            try sms.update(db)
        }
    }

    public func markSMSAttemptFailed(id: Int64, error: String, retryAt: Date?, at now: Date) throws {
        try writer.write { db in
            guard var sms = try OutboundSMS.fetchOne(db, key: id) else { throw StoreError.corruptRow("smsOutbox #\(id) is missing") }
            sms.attempts += 1
            sms.lastError = error
            if let retryAt {
                sms.nextAttemptAt = retryAt
            } else {
                sms.state = .failed
            }
            try sms.update(db)
        }
    }

    public func outboundSMS(id: Int64) throws -> OutboundSMS? {
        try writer.read { db in try OutboundSMS.fetchOne(db, key: id) }
    }

    public func outboundSMS(recipient: String?) throws -> [OutboundSMS] {
        try writer.read { db in
            var request = OutboundSMS.order(Column("id"))
            if let recipient { request = request.filter(OutboundSMS.OutboxColumns.recipient == recipient) }
            return try request.fetchAll(db)
        }
    }
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
