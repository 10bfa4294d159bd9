import Billing
import Foundation
import PostgresNIO

/// The billing intents run `BillingTransactions` (the logic both backends share) inside one
/// PostgreSQL transaction each, holding the account's row lock from the first check to the
/// commit.
extension PostgresStore: BillingStore {
    public func freeBalance(account id: Int64) throws -> Money {
        try read { db in
            guard let account = try Self.account(db, id: id) else { throw StoreError.unknownAccount("#\(id)") }
            return Money(minorUnits: account.balanceMinorUnits - (try Self.reservedMinorUnits(db, account: id)),
                         currency: account.currency)
        }
    }

    /// Runs `body` in one transaction with the billing rows of this store's node.
    func billing<T>(_ body: (PostgresBillingRows) throws -> T) throws -> T {
        try transaction { db in try body(PostgresBillingRows(db: db, node: self.node)) }
    }

    // MARK: - Intents

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
        _ = try plan.rate(for: bNumber)
        return try billing { rows in
            try BillingTransactions.reserveForCall(rows, account: id, plan: plan, aLeg: aLeg, bNumber: bNumber,
                                                   limit: limit, call: call, replacing: existing, at: now)
        }
    }

    public func openReservations(account id: Int64) throws -> [Reservation] {
        try read { db in try PostgresBillingRows(db: db, node: self.node).openReservations(account: id) }
    }

    public func openLeg(reservation id: Int64, _ new: NewCallLeg) throws -> CallLeg {
        try billing { rows in try BillingTransactions.openLeg(rows, reservation: id, new) }
    }

    public func recordAnswer(leg id: Int64, at time: Date) throws {
        try transaction { db in
            guard let isOpen = try db.scalar("SELECT isOpen FROM callLeg WHERE id = \(id)", as: Bool.self) else {
                throw StoreError.unknownCallLeg(id)
            }
            guard isOpen else { return }
            try db.execute("""
                UPDATE callLeg SET answeredAt = \(time), lastProgressAt = \(time)
                WHERE id = \(id) AND isOpen AND answeredAt IS NULL
                """)
        }
    }

    public func recordProgress(legs ids: [Int64], at time: Date) throws {
        guard !ids.isEmpty else { return }
        // A transaction, not a lone statement: a deadlock with a settlement on another
        // connection is then retried.
        try transaction { db in
            try db.execute("""
                UPDATE callLeg SET lastProgressAt = \(time)
                WHERE id = ANY(\(ids)) AND isOpen AND answeredAt IS NOT NULL
                """)
        }
    }

    public func settle(reservation id: Int64, endings: [LegEnding], at now: Date) throws -> Settlement {
        try billing { rows in try BillingTransactions.settle(rows, reservation: id, endings: endings, at: now, recovering: false) }
    }

    public func settleLeg(reservation id: Int64, _ ending: LegEnding, at now: Date) throws -> Settlement {
        try billing { rows in try BillingTransactions.settleLeg(rows, reservation: id, ending, at: now) }
    }

    /// At a node's start-up: settles the open reservations of this node (it died with them),
    /// of nodes whose lease ran out (or that never held one), and those recorded without a
    /// node. The reservations of nodes within their lease are theirs: left alone.
    public func recoverOpenLegs(at now: Date) throws -> [Settlement] {
        let ids = try read { db in
            try db.query("""
                SELECT id FROM reservation r
                WHERE state = 'open'
                  AND (node IS NULL OR node = \(node)
                       OR NOT EXISTS (SELECT 1 FROM node n WHERE n.id = r.node AND n.leaseUntil > \(now)))
                ORDER BY id
                """).map { try PostgresSession.decode($0, as: Int64.self) }
        }
        // One transaction per reservation; one settled meanwhile (by its call, or by
        // another node recovering it) is skipped.
        return try ids.compactMap { id in
            try billing { rows in try BillingTransactions.recover(rows, reservation: id, at: now) }
        }
    }
}
