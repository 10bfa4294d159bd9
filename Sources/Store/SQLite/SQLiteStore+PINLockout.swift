import Foundation
import GRDB

extension SQLiteStore: PINLockoutStore {
    public func recordPINFailure(callerID: String?, account: Int64?, at now: Date) throws {
        let callerID = callerID.flatMap { $0.isEmpty ? nil : $0 }
        guard callerID != nil || account != nil else { return }   // nothing to count against
        try writer.write { db in
            var failure = PINFailure(id: nil, callerID: callerID, accountID: account, failedAt: now)
            try failure.insert(db)
        }
    }

    public func pinFailureCounts(callerID: String?, account: Int64?, since: Date) throws -> PINFailureCounts {
        try writer.read { db in
            var byCaller = 0
            var byAccount = 0
            if let callerID, !callerID.isEmpty {
                byCaller = try PINFailure.filter(PINFailure.SQLColumns.callerID == callerID && PINFailure.SQLColumns.failedAt >= since)
                    .fetchCount(db)
            }
            if let account {
                byAccount = try PINFailure.filter(PINFailure.SQLColumns.accountID == account && PINFailure.SQLColumns.failedAt >= since)
                    .fetchCount(db)
            }
            return PINFailureCounts(callerID: byCaller, account: byAccount)
        }
    }

    public func clearPINFailures(callerID: String?, account: Int64?) throws {
        try writer.write { db in
            if let callerID, !callerID.isEmpty {
                _ = try PINFailure.filter(PINFailure.SQLColumns.callerID == callerID).deleteAll(db)
            }
            if let account {
                _ = try PINFailure.filter(PINFailure.SQLColumns.accountID == account).deleteAll(db)
            }
        }
    }

    public func prunePINFailures(before: Date) throws -> Int {
        try writer.write { db in try PINFailure.filter(PINFailure.SQLColumns.failedAt < before).deleteAll(db) }
    }
}
