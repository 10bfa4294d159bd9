import Foundation
import PostgresNIO

/// `BillingRows` over a PostgreSQL transaction. `lockAccount` takes the account row's lock
/// (`SELECT … FOR UPDATE`) until the transaction ends: every intent takes it before it
/// checks and writes, so intents of several nodes on one account run one after another and
/// each sees what the one before committed (READ COMMITTED reads after the lock).
struct PostgresBillingRows: BillingRows {
    let db: PostgresSession
    let node: String

    func lockAccount(_ id: Int64) throws -> Account? {
        try PostgresStore.account(db, id: id, forUpdate: true)
    }

    func reservation(_ id: Int64) throws -> Reservation? {
        try db.fetchOne("SELECT \(unescaped: Reservation.pgColumns) FROM reservation WHERE id = \(id)",
                        Reservation.init(pgRow:))
    }

    func openReservations(account id: Int64) throws -> [Reservation] {
        try db.fetchAll("""
            SELECT \(unescaped: Reservation.pgColumns) FROM reservation
            WHERE accountID = \(id) AND state = 'open' ORDER BY id
            """, Reservation.init(pgRow:))
    }

    func save(_ reservation: Reservation) throws -> Reservation {
        if let id = reservation.id {
            try db.execute("""
                UPDATE reservation SET amountMinorUnits = \(reservation.amountMinorUnits),
                    maxDurationSeconds = \(reservation.maxDurationSeconds), state = \(reservation.state.rawValue),
                    chargedMinorUnits = \(reservation.chargedMinorUnits), settledAt = \(reservation.settledAt)
                WHERE id = \(id)
                """)
            return reservation
        }
        guard let inserted = try db.fetchOne("""
            INSERT INTO reservation (accountID, amountMinorUnits, currency, maxDurationSeconds, campaign, trigger, state,
                                     chargedMinorUnits, createdAt, settledAt, node)
            VALUES (\(reservation.accountID), \(reservation.amountMinorUnits), \(reservation.currency),
                    \(reservation.maxDurationSeconds), \(reservation.campaign), \(reservation.trigger),
                    \(reservation.state.rawValue), \(reservation.chargedMinorUnits), \(reservation.createdAt),
                    \(reservation.settledAt), \(node))
            RETURNING \(unescaped: Reservation.pgColumns)
            """, Reservation.init(pgRow:)) else { throw StoreError.corruptRow("reservation insert returned no row") }
        return inserted
    }

    func callLeg(_ id: Int64) throws -> CallLeg? {
        try db.fetchOne("SELECT \(unescaped: CallLeg.pgColumns) FROM callLeg WHERE id = \(id)", CallLeg.init(pgRow:))
    }

    func legs(reservation id: Int64) throws -> [CallLeg] {
        try db.fetchAll("SELECT \(unescaped: CallLeg.pgColumns) FROM callLeg WHERE reservationID = \(id) ORDER BY id",
                        CallLeg.init(pgRow:))
    }

    func insert(_ leg: CallLeg) throws -> CallLeg {
        guard let inserted = try db.fetchOne("""
            INSERT INTO callLeg (accountID, reservationID, campaign, trigger, leg, fromNumber, toNumber, startedAt,
                                 answeredAt, lastProgressAt, endedAt, ratePrefix, ratePerMinuteMinorUnits,
                                 connectionFeeMinorUnits, firstIncrement, followingIncrement, charged, billedSeconds,
                                 costMinorUnits, currency, disposition, sipCause, isOpen, grantedSeconds)
            VALUES (\(leg.accountID), \(leg.reservationID), \(leg.campaign), \(leg.trigger), \(leg.leg.rawValue),
                    \(leg.fromNumber), \(leg.toNumber), \(leg.startedAt), \(leg.answeredAt), \(leg.lastProgressAt),
                    \(leg.endedAt), \(leg.ratePrefix), \(leg.ratePerMinuteMinorUnits), \(leg.connectionFeeMinorUnits),
                    \(leg.firstIncrement), \(leg.followingIncrement), \(leg.charged), \(leg.billedSeconds),
                    \(leg.costMinorUnits), \(leg.currency), \(leg.disposition.rawValue), \(leg.sipCause), \(leg.isOpen),
                    \(leg.grantedSeconds))
            RETURNING \(unescaped: CallLeg.pgColumns)
            """, CallLeg.init(pgRow:)) else { throw StoreError.corruptRow("callLeg insert returned no row") }
        return inserted
    }

    func update(_ leg: CallLeg) throws {
        guard let id = leg.id else { throw StoreError.unknownCallLeg(0) }
        try db.execute("""
            UPDATE callLeg SET reservationID = \(leg.reservationID), answeredAt = \(leg.answeredAt),
                lastProgressAt = \(leg.lastProgressAt), endedAt = \(leg.endedAt), billedSeconds = \(leg.billedSeconds),
                costMinorUnits = \(leg.costMinorUnits), disposition = \(leg.disposition.rawValue),
                sipCause = \(leg.sipCause), isOpen = \(leg.isOpen), grantedSeconds = \(leg.grantedSeconds)
            WHERE id = \(id)
            """)
    }

    func insertUnbilledLeg(_ leg: UnbilledCallLeg) throws -> CallLeg {
        try PostgresStore.insertUnbilledLeg(db: db, leg)
    }

    func callSpending(account id: Int64, since start: Date) throws -> Int64 {
        -(try db.scalar("""
            SELECT COALESCE(SUM(amountMinorUnits), 0)::BIGINT FROM ledgerEntry
            WHERE accountID = \(id) AND kind = 'call' AND createdAt >= \(start)
            """, as: Int64.self) ?? 0)
    }

    func applyBalanceChange(account: Account, delta: Int64, kind: LedgerEntry.Kind, reservationID: Int64?,
                            note: String?, at now: Date) throws -> LedgerEntry {
        try PostgresStore.applyBalanceChange(db: db, account: account, delta: delta, kind: kind,
                                             reservationID: reservationID, note: note, at: now)
    }
}
