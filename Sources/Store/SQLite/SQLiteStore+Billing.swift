import Billing
import Foundation
import GRDB

/// The billing intents run `BillingTransactions` (the logic both backends share) inside one
/// GRDB write transaction each.
extension SQLiteStore: BillingStore {
    public func freeBalance(account id: Int64) throws -> Money {
        try writer.read { db in
            guard let account = try Account.fetchOne(db, cachedKey: id) else { throw StoreError.unknownAccount("#\(id)") }
            return Money(minorUnits: account.balanceMinorUnits - (try Self.reservedMinorUnits(db, account: id)),
                         currency: account.currency)
        }
    }

    /// Runs `body` in one write transaction with the billing rows of this store's node.
    func billing<T>(_ body: (SQLiteBillingRows) throws -> T) throws -> T {
        let node = self.node
        return try writer.write { db in try body(SQLiteBillingRows(db: db, node: node)) }
    }

    // MARK: - Intents: each one write transaction that leaves the money consistent

    public func openAccessLeg(_ request: AccessLegRequest, at now: Date) throws -> AccessLegOutcome {
        // Rated first: an access number the plan lacks throws `RateError.noRate` before any write.
        let rate = try request.plan.rate(for: request.accessNumber)
        return try billing { rows in try BillingTransactions.openAccessLeg(rows, request, rate: rate, at: now) }
    }

    public func handOverAccessLeg(reservation id: Int64, _ ending: LegEnding, to request: AccessLegRequest,
                                  at now: Date) throws -> AccessLegHandover {
        let rate = try request.plan.rate(for: request.accessNumber)
        return try billing { rows in
            try BillingTransactions.handOverAccessLeg(rows, reservation: id, ending, to: request, rate: rate, at: now)
        }
    }

    public func openForward(_ request: ForwardRequest, at now: Date) throws -> ForwardOutcome {
        let rate = try request.plan.rate(for: request.number)
        return try billing { rows in try BillingTransactions.openForward(rows, request, rate: rate, at: now) }
    }

    public func resizeAccessLeg(reservation id: Int64, leg legID: Int64, plan: RatePlan, limit: Int,
                                at now: Date) throws -> AccessLegResize {
        try billing { rows in
            try BillingTransactions.resizeAccessLeg(rows, reservation: id, leg: legID, plan: plan, limit: limit, at: now)
        }
    }

    public func closeForward(reservation id: Int64, _ ending: LegEnding, accessLegPlan: RatePlan?,
                             at now: Date) throws -> ForwardClosing {
        try billing { rows in
            try BillingTransactions.closeForward(rows, reservation: id, ending, accessLegPlan: accessLegPlan, at: now)
        }
    }

    // MARK: - Steps

    public func reserve(account id: Int64, amount: Money, maxDurationSeconds: Int?, call: CallContext,
                        at now: Date) throws -> ReservationOutcome {
        guard amount.minorUnits >= 0 else { throw StoreError.nonPositiveAmount(amount) }
        return try billing { rows in
            try BillingTransactions.reserve(rows, account: id, amount: amount, maxDurationSeconds: maxDurationSeconds,
                                            call: call, at: now)
        }
    }

    public func reserveForCall(account id: Int64, plan: RatePlan, aLeg: ALegCharge?, bNumber: String,
                               limit: Int, call: CallContext, replacing existing: Int64?,
                               at now: Date) throws -> CallReservationOutcome {
        // Rates first: an unserved destination throws `RateError.noRate` before any write.
        _ = try plan.rate(for: bNumber)
        return try billing { rows in
            try BillingTransactions.reserveForCall(rows, account: id, plan: plan, aLeg: aLeg, bNumber: bNumber,
                                                   limit: limit, call: call, replacing: existing, at: now)
        }
    }

    public func openReservations(account id: Int64) throws -> [Reservation] {
        let node = self.node
        return try writer.read { db in try SQLiteBillingRows(db: db, node: node).openReservations(account: id) }
    }

    public func openLeg(reservation id: Int64, _ new: NewCallLeg) throws -> CallLeg {
        try billing { rows in try BillingTransactions.openLeg(rows, reservation: id, new) }
    }

    public func recordAnswer(leg id: Int64, at time: Date) throws {
        try writer.write { db in
            guard var leg = try CallLeg.fetchOne(db, cachedKey: id) else { throw StoreError.unknownCallLeg(id) }
            guard leg.isOpen, leg.answeredAt == nil else { return }
            leg.answeredAt = time
            leg.lastProgressAt = time
            try leg.update(db)
        }
    }

    public func recordProgress(legs ids: [Int64], at time: Date) throws {
        guard !ids.isEmpty else { return }
        // One fixed statement per leg rather than an IN list whose text varies with the count
        // (a call has one or two legs), so the statement is prepared once.
        try writer.write { db in
            for id in ids {
                try db.execute(cachedSQL: """
                    UPDATE callLeg SET lastProgressAt = ? WHERE id = ? AND isOpen = 1 AND answeredAt IS NOT NULL
                    """, arguments: [time, id])
            }
        }
    }

    public func settle(reservation id: Int64, endings: [LegEnding], at now: Date) throws -> Settlement {
        try billing { rows in try BillingTransactions.settle(rows, reservation: id, endings: endings, at: now, recovering: false) }
    }

    public func settleLeg(reservation id: Int64, _ ending: LegEnding, at now: Date) throws -> Settlement {
        try billing { rows in try BillingTransactions.settleLeg(rows, reservation: id, ending, at: now) }
    }

    /// The embedded store serves one node: every open reservation is its own.
    public func recoverOpenLegs(at now: Date) throws -> [Settlement] {
        let ids = try writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM reservation WHERE state = 'open' ORDER BY id")
        }
        // One transaction per reservation; a reservation settled meanwhile is skipped.
        return try ids.compactMap { id in
            try billing { rows in try BillingTransactions.recover(rows, reservation: id, at: now) }
        }
    }

    // MARK: - Queries

    static func reservedMinorUnits(_ db: Database, account id: Int64) throws -> Int64 {
        try Int64.fetchOne(db, cachedSQL: """
            SELECT COALESCE(SUM(amountMinorUnits), 0) FROM reservation WHERE accountID = ? AND state = 'open'
            """, arguments: [id]) ?? 0
    }
}
