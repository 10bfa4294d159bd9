import Billing
import Foundation
import PostgresNIO

extension PostgresStore: RateStore {
    @discardableResult
    public func importRates(plan name: String, currency: String, chargesALeg: Bool, rates: [Rate],
                            blockedPrefixes: [String], at now: Date) throws -> Int {
        // Build the plan first: it checks currencies, duplicate and blocked prefixes before any write.
        _ = try RatePlan(name: name, currency: currency, chargesALeg: chargesALeg, rates: rates,
                         blockedPrefixes: blockedPrefixes)
        try transaction { db in
            let existing = try db.fetchOne("""
                SELECT \(unescaped: RatePlanRecord.pgColumns) FROM ratePlan WHERE name = \(name) FOR UPDATE
                """, RatePlanRecord.init(pgRow:))
            if let existing, existing.currency != currency,
               try db.scalar("SELECT count(*) FROM account WHERE ratePlan = \(name)", as: Int64.self) ?? 0 > 0 {
                throw StoreError.currencyMismatch(expected: existing.currency, found: currency)
            }
            let blocked = blockedPrefixes.joined(separator: ",")
            // Two nodes importing a new plan at once: ON CONFLICT makes the second an update.
            guard let planID = try db.scalar("""
                INSERT INTO ratePlan (name, currency, chargesALeg, blockedPrefixes, updatedAt)
                VALUES (\(name), \(currency), \(chargesALeg), \(blocked), \(now))
                ON CONFLICT (name) DO UPDATE SET currency = EXCLUDED.currency, chargesALeg = EXCLUDED.chargesALeg,
                                                 blockedPrefixes = EXCLUDED.blockedPrefixes, updatedAt = EXCLUDED.updatedAt
                RETURNING id
                """, as: Int64.self) else { throw StoreError.unknownRatePlan(name) }
            try db.execute("DELETE FROM rate WHERE planID = \(planID)")
            // In batches of one statement with array parameters: a 100,000-prefix deck is a
            // few round trips, not 100,000.
            var start = 0
            let batch = 5_000
            while start < rates.count {
                let slice = rates[start..<min(start + batch, rates.count)]
                try db.execute("""
                    INSERT INTO rate (planID, prefix, description, perMinuteMinorUnits, connectionFeeMinorUnits,
                                      firstIncrement, followingIncrement)
                    SELECT \(planID), * FROM unnest(\(slice.map(\.prefix)), \(slice.map(\.description)),
                                                   \(slice.map(\.perMinute.minorUnits)), \(slice.map(\.connectionFee.minorUnits)),
                                                   \(slice.map { Int64($0.increments.first) }),
                                                   \(slice.map { Int64($0.increments.following) }))
                    """)
                start += batch
            }
        }
        ratePlanCache.invalidate(name)
        return rates.count
    }

    /// Re-reads the plan only when its `updatedAt` changed (another node may have imported
    /// rates), so lookups on a large deck cost one small query.
    public func ratePlan(named name: String) throws -> RatePlan? {
        guard let record = try read({ db in try Self.ratePlanRecord(db, name: name) }) else { return nil }
        if let cached = ratePlanCache.plan(name, updatedAt: record.updatedAt) { return cached }
        // The header and its rates from one snapshot, so an import in between cannot mix them.
        let loaded: (RatePlanRecord, [RateRecord])? = try transaction(.repeatableRead) { db in
            guard let record = try Self.ratePlanRecord(db, name: name), let id = record.id else { return nil }
            return (record, try db.fetchAll("SELECT \(unescaped: RateRecord.pgColumns) FROM rate WHERE planID = \(id)",
                                            RateRecord.init(pgRow:)))
        }
        guard let (current, rows) = loaded else { return nil }
        let plan = try RatePlan(name: current.name, currency: current.currency, chargesALeg: current.chargesALeg,
                                rates: rows.map { try $0.rate(currency: current.currency) },
                                blockedPrefixes: current.blockedPrefixList)
        ratePlanCache.store(plan, updatedAt: current.updatedAt)
        return plan
    }

    private static func ratePlanRecord(_ db: PostgresSession, name: String) throws -> RatePlanRecord? {
        try db.fetchOne("SELECT \(unescaped: RatePlanRecord.pgColumns) FROM ratePlan WHERE name = \(name)",
                        RatePlanRecord.init(pgRow:))
    }

    public func ratePlans() throws -> [RatePlanRecord] {
        try read { db in
            try db.fetchAll("SELECT \(unescaped: RatePlanRecord.pgColumns) FROM ratePlan ORDER BY name", RatePlanRecord.init(pgRow:))
        }
    }
}
