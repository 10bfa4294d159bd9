import Foundation

/// The row operations the billing intents are written over, inside ONE write transaction
/// of the backend (`BillingTransactions` holds the logic, once for both backends). SQLite
/// implements them over a GRDB `Database` (its writes are serialised, so reading is
/// locking); PostgreSQL over a connection, where `lockAccount` is `SELECT … FOR UPDATE`:
/// every intent locks the account row before it checks and writes, so two nodes working on
/// one account take turns and never both spend the same credit.
protocol BillingRows {
    /// The node the transaction runs for: recorded on the reservations it opens.
    var node: String { get }
    /// The account, locked until the transaction ends (a plain read on SQLite).
    func lockAccount(_ id: Int64) throws -> Account?
    func reservation(_ id: Int64) throws -> Reservation?
    /// The account's open reservations, in id order.
    func openReservations(account id: Int64) throws -> [Reservation]
    /// Inserts a reservation without id (recording `node`), or updates one with an id.
    func save(_ reservation: Reservation) throws -> Reservation
    func callLeg(_ id: Int64) throws -> CallLeg?
    /// Every leg of a reservation, in id order.
    func legs(reservation id: Int64) throws -> [CallLeg]
    /// Inserts a leg without id; returns it with its id.
    func insert(_ leg: CallLeg) throws -> CallLeg
    func update(_ leg: CallLeg) throws
    /// A CDR that was never billed (a refused access leg).
    func insertUnbilledLeg(_ leg: UnbilledCallLeg) throws -> CallLeg
    /// Money charged for calls since `start` (a positive number).
    func callSpending(account id: Int64, since start: Date) throws -> Int64
    /// Changes the balance of `account` (locked by the caller) and writes its ledger entry.
    func applyBalanceChange(account: Account, delta: Int64, kind: LedgerEntry.Kind, reservationID: Int64?,
                            note: String?, at now: Date) throws -> LedgerEntry
}
