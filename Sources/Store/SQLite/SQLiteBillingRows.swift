import Foundation
import GRDB

/// `BillingRows` over a GRDB write transaction. SQLite serialises writers, so the account
/// is "locked" by the transaction itself: `lockAccount` is a read. Every call of a billed
/// call runs these, so they go through cached statements (`Database+CachedStatements`).
struct SQLiteBillingRows: BillingRows {
    let db: Database
    let node: String

    func lockAccount(_ id: Int64) throws -> Account? {
        try Account.fetchOne(db, cachedKey: id)
    }

    func reservation(_ id: Int64) throws -> Reservation? {
        try Reservation.fetchOne(db, cachedKey: id)
    }

    func openReservations(account id: Int64) throws -> [Reservation] {
        try Reservation.fetchAll(db, cachedSQL: "SELECT * FROM reservation WHERE accountID = ? AND state = ? ORDER BY id",
                                 arguments: [id, Reservation.State.open.rawValue])
    }

    func save(_ reservation: Reservation) throws -> Reservation {
        var reservation = reservation
        if reservation.id == nil {
            try reservation.insert(db)
            try db.execute(cachedSQL: "UPDATE reservation SET node = ? WHERE id = ?", arguments: [node, reservation.id])
        } else {
            try reservation.update(db)
        }
        return reservation
    }

    func callLeg(_ id: Int64) throws -> CallLeg? {
        try CallLeg.fetchOne(db, cachedKey: id)
    }

    func legs(reservation id: Int64) throws -> [CallLeg] {
        try CallLeg.fetchAll(db, cachedSQL: "SELECT * FROM callLeg WHERE reservationID = ? ORDER BY id", arguments: [id])
    }

    func insert(_ leg: CallLeg) throws -> CallLeg {
        var leg = leg
        try leg.insert(db)
        return leg
    }

    func update(_ leg: CallLeg) throws {
        try leg.update(db)
    }

    func insertUnbilledLeg(_ leg: UnbilledCallLeg) throws -> CallLeg {
        try SQLiteStore.insertUnbilledLeg(db: db, leg)
    }

    func callSpending(account id: Int64, since start: Date) throws -> Int64 {
        -(try Int64.fetchOne(db, cachedSQL: """
            SELECT COALESCE(SUM(amountMinorUnits), 0) FROM ledgerEntry
            WHERE accountID = ? AND kind = 'call' AND createdAt >= ?
            """, arguments: [id, start]) ?? 0)
    }

    func applyBalanceChange(account: Account, delta: Int64, kind: LedgerEntry.Kind, reservationID: Int64?,
                            note: String?, at now: Date) throws -> LedgerEntry {
        try SQLiteStore.applyBalanceChange(db: db, account: account, delta: delta, kind: kind,
                                           reservationID: reservationID, note: note, at: now)
    }
}
