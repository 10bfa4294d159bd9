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
            try OutboundSMS.fetchAll(db, cachedSQL: """
                SELECT * FROM smsOutbox WHERE state = ? AND nextAttemptAt <= ? ORDER BY nextAttemptAt, id LIMIT ?
                """, arguments: [OutboundSMS.State.pending.rawValue, now, limit])
        }
    }

    public func nextSMSDue() throws -> Date? {
        try writer.read { db in
            try Date.fetchOne(db, cachedSQL: "SELECT MIN(nextAttemptAt) FROM smsOutbox WHERE state = ?",
                              arguments: [OutboundSMS.State.pending.rawValue])
        }
    }

    public func markSMSSent(id: Int64, at now: Date) throws {
        try writer.write { db in
            guard var sms = try OutboundSMS.fetchOne(db, cachedKey: id) else { throw StoreError.corruptRow("smsOutbox #\(id) is missing") }
            sms.state = .sent
            sms.attempts += 1
            sms.sentAt = now
            sms.lastError = nil
            try sms.update(db)
        }
    }

    public func markSMSAttemptFailed(id: Int64, error: String, retryAt: Date?, at now: Date) throws {
        try writer.write { db in
            guard var sms = try OutboundSMS.fetchOne(db, cachedKey: id) else { throw StoreError.corruptRow("smsOutbox #\(id) is missing") }
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
        try writer.read { db in try OutboundSMS.fetchOne(db, cachedKey: id) }
    }

    public func outboundSMS(recipient: String?) throws -> [OutboundSMS] {
        try writer.read { db in
            var request = OutboundSMS.order(Column("id"))
            if let recipient { request = request.filter(OutboundSMS.OutboxColumns.recipient == recipient) }
            return try request.fetchAll(db)
        }
    }
}
