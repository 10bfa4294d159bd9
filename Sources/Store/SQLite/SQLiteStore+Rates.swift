import Billing
import Foundation
import GRDB

extension SQLiteStore: RateStore {
    @discardableResult
    public func importRates(plan name: String, currency: String, chargesALeg: Bool, rates: [Rate],
                            blockedPrefixes: [String], at now: Date) throws -> Int {
        // Build the plan first: it checks currencies, duplicate and blocked prefixes before any write.
        _ = try RatePlan(name: name, currency: currency, chargesALeg: chargesALeg, rates: rates,
                         blockedPrefixes: blockedPrefixes)
        try writer.write { db in
            var record = try RatePlanRecord.filter(RatePlanRecord.SQLColumns.name == name).fetchOne(db)
                ?? RatePlanRecord(id: nil, name: name, currency: currency, chargesALeg: chargesALeg, updatedAt: now)
            if record.id != nil, record.currency != currency,
               try Account.filter(Column("ratePlan") == name).fetchCount(db) > 0 {
                throw StoreError.currencyMismatch(expected: record.currency, found: currency)
            }
            record.currency = currency
            record.chargesALeg = chargesALeg
            record.blockedPrefixes = blockedPrefixes.joined(separator: ",")
            record.updatedAt = now
            try record.save(db)
            guard let planID = record.id else { throw StoreError.unknownRatePlan(name) }
            try RateRecord.filter(RateRecord.SQLColumns.planID == planID).deleteAll(db)
            let statement = try db.makeStatement(sql: """
                INSERT INTO rate (planID, prefix, description, perMinuteMinorUnits, connectionFeeMinorUnits,
                                  firstIncrement, followingIncrement)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for rate in rates {
                try statement.execute(arguments: [planID, rate.prefix, rate.description, rate.perMinute.minorUnits,
                                                  rate.connectionFee.minorUnits, rate.increments.first,
                                                  rate.increments.following])
            }
        }
        ratePlanCache.invalidate(name)
        return rates.count
    }

    /// Re-reads the plan only when its `updatedAt` changed (another process may have
    /// imported rates), so lookups on a large deck cost one small query.
    public func ratePlan(named name: String) throws -> RatePlan? {
        let loaded: (RatePlanRecord, [RateRecord]?)? = try writer.read { db in
            guard let record = try RatePlanRecord.fetchOne(db, cachedSQL: "SELECT * FROM ratePlan WHERE name = ?", arguments: [name]),
                  let id = record.id else { return nil }
            if self.ratePlanCache.plan(name, updatedAt: record.updatedAt) != nil { return (record, nil) }
            return (record, try RateRecord.filter(RateRecord.SQLColumns.planID == id).fetchAll(db))
        }
        guard let (record, rows) = loaded else { return nil }
        guard let rows else {
            if let cached = ratePlanCache.plan(name, updatedAt: record.updatedAt) { return cached }
            return try ratePlan(named: name)
        }
        let plan = try RatePlan(name: record.name, currency: record.currency, chargesALeg: record.chargesALeg,
                                rates: rows.map { try $0.rate(currency: record.currency) },
                                blockedPrefixes: record.blockedPrefixList)
        ratePlanCache.store(plan, updatedAt: record.updatedAt)
        return plan
    }

    public func ratePlans() throws -> [RatePlanRecord] {
        try writer.read { db in try RatePlanRecord.order(RatePlanRecord.SQLColumns.name).fetchAll(db) }
    }
}
