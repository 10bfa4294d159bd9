import Foundation
import PostgresNIO

// What the fraud guards count: PIN failures and SMS activity.

extension PostgresStore: PINLockoutStore {
    public func recordPINFailure(callerID: String?, account: Int64?, source: String?, at now: Date) throws {
        let callerID = callerID.flatMap { $0.isEmpty ? nil : $0 }
        let source = source.flatMap { $0.isEmpty ? nil : $0 }
        guard callerID != nil || account != nil else { return }   // nothing to count against
        try transaction { db in
            let id = try db.scalar("""
                INSERT INTO pinFailure (callerID, accountID, failedAt, sourceAddress)
                VALUES (\(callerID), \(account), \(now), \(source)) RETURNING id
                """, as: Int64.self) ?? 0
            // Pruning at insert: cheap on the failedAt index, and only a guesser writes here.
            if id % 64 == 0 {
                try db.execute("DELETE FROM pinFailure WHERE failedAt < \(now.addingTimeInterval(-SQLiteStore.pinFailureRetention))")
            }
        }
    }

    public func pinFailureCounts(callerID: String?, account: Int64?, source: String?, since: Date) throws -> PINFailureCounts {
        let callerID = callerID.flatMap { $0.isEmpty ? nil : $0 }
        let source = source.flatMap { $0.isEmpty ? nil : $0 }
        // One statement, one snapshot; a nil key matches nothing (NULL = NULL is not true).
        return try read { db in
            guard let row = try db.query("""
                SELECT count(*) FILTER (WHERE callerID = \(callerID)),
                       count(*) FILTER (WHERE accountID = \(account)),
                       count(*) FILTER (WHERE sourceAddress = \(source)),
                       count(*)
                FROM pinFailure WHERE failedAt >= \(since)
                """).first else { return PINFailureCounts(callerID: 0, account: 0) }
            var reader = PostgresRowReader(row, table: "pinFailure")
            return PINFailureCounts(callerID: Int(try reader.next(Int64.self)), account: Int(try reader.next(Int64.self)),
                                    source: Int(try reader.next(Int64.self)), global: Int(try reader.next(Int64.self)))
        }
    }

    public func clearPINFailures(callerID: String?, account: Int64?) throws {
        try transaction { db in
            if let callerID, !callerID.isEmpty {
                try db.execute("DELETE FROM pinFailure WHERE callerID = \(callerID)")
            }
            if let account {
                try db.execute("DELETE FROM pinFailure WHERE accountID = \(account)")
            }
        }
    }

    public func prunePINFailures(before: Date) throws -> Int {
        try read { db in try db.execute("DELETE FROM pinFailure WHERE failedAt < \(before)") }
    }
}

extension PostgresStore: SMSActivityStore {
    public func recordSMSActivity(_ kind: SMSActivity.Kind, sender: String?, account: Int64?, at now: Date) throws {
        let sender = sender.flatMap { $0.isEmpty ? nil : $0 }
        guard sender != nil || account != nil else { return }   // nothing to count against
        try read { db in
            try db.execute("""
                INSERT INTO smsActivity (kind, sender, accountID, at) VALUES (\(kind.rawValue), \(sender), \(account), \(now))
                """)
        }
    }

    public func smsActivityCounts(_ kind: SMSActivity.Kind, sender: String?, account: Int64?, since: Date) throws
        -> SMSActivityCounts {
        let sender = sender.flatMap { $0.isEmpty ? nil : $0 }
        return try read { db in
            guard let row = try db.query("""
                SELECT count(*) FILTER (WHERE sender = \(sender)), count(*) FILTER (WHERE accountID = \(account))
                FROM smsActivity WHERE kind = \(kind.rawValue) AND at >= \(since)
                """).first else { return SMSActivityCounts(sender: 0, account: 0) }
            var reader = PostgresRowReader(row, table: "smsActivity")
            return SMSActivityCounts(sender: Int(try reader.next(Int64.self)), account: Int(try reader.next(Int64.self)))
        }
    }

    public func clearSMSAuthenticationFailures(sender: String?, account: Int64?) throws {
        let failure = SMSActivity.Kind.authenticationFailure.rawValue
        try transaction { db in
            if let sender, !sender.isEmpty {
                try db.execute("DELETE FROM smsActivity WHERE kind = \(failure) AND sender = \(sender)")
            }
            if let account {
                try db.execute("DELETE FROM smsActivity WHERE kind = \(failure) AND accountID = \(account)")
            }
        }
    }

    public func pruneSMSActivity(before: Date) throws -> Int {
        try read { db in try db.execute("DELETE FROM smsActivity WHERE at < \(before)") }
    }
}
