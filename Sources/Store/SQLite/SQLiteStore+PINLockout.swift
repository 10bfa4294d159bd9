import Foundation
import GRDB

extension SQLiteStore: PINLockoutStore {
    /// Failures older than this are deleted as new ones are recorded, so the table stays
    /// bounded without a separate job (issue 11); longer than any lockout period allowed.
    static let pinFailureRetention: TimeInterval = 8 * 86_400

    public func recordPINFailure(callerID: String?, account: Int64?, source: String?, at now: Date) throws {
        let callerID = callerID.flatMap { $0.isEmpty ? nil : $0 }
        let source = source.flatMap { $0.isEmpty ? nil : $0 }
        guard callerID != nil || account != nil else { return }   // nothing to count against
        try writer.write { db in
            var failure = PINFailure(id: nil, callerID: callerID, accountID: account, failedAt: now, sourceAddress: source)
            try failure.insert(db)
            // Pruning at insert: cheap on the failedAt index, and only a guesser writes here.
            if (failure.id ?? 0) % 64 == 0 {
                _ = try PINFailure.filter(PINFailure.SQLColumns.failedAt < now.addingTimeInterval(-Self.pinFailureRetention))
                    .deleteAll(db)
            }
        }
    }

    public func pinFailureCounts(callerID: String?, account: Int64?, source: String?, since: Date) throws -> PINFailureCounts {
        try writer.read { db in
            var counts = PINFailureCounts(callerID: 0, account: 0)
            if let callerID, !callerID.isEmpty {
                counts.callerID = try db.fetchCount(cachedSQL: "SELECT COUNT(*) FROM pinFailure WHERE callerID = ? AND failedAt >= ?",
                                                    arguments: [callerID, since])
            }
            if let account {
                counts.account = try db.fetchCount(cachedSQL: "SELECT COUNT(*) FROM pinFailure WHERE accountID = ? AND failedAt >= ?",
                                                   arguments: [account, since])
            }
            if let source, !source.isEmpty {
                counts.source = try db.fetchCount(cachedSQL: "SELECT COUNT(*) FROM pinFailure WHERE sourceAddress = ? AND failedAt >= ?",
                                                  arguments: [source, since])
            }
            counts.global = try db.fetchCount(cachedSQL: "SELECT COUNT(*) FROM pinFailure WHERE failedAt >= ?", arguments: [since])
            return counts
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
