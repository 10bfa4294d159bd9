import Foundation

/// Reading call detail records (closed and open legs).
public protocol CDRStore: Sendable {
    /// Legs started at or after `since` (all if nil), of one account (all if nil), oldest first.
    func callLegs(since: Date?, account id: Int64?) throws -> [CallLeg]
    /// `limit` legs of one account (all if nil) from `offset` on, oldest first or newest
    /// first, and the number of legs in all: a page of a history that may be millions long.
    func callLegPage(account id: Int64?, newestFirst: Bool, offset: Int, limit: Int) throws -> CallLegPage
    /// Records a finished leg that costs nothing and had no reservation (an ANI call
    /// rejected before the callback, a failed attempt), so every leg has a CDR.
    func recordUnbilledLeg(_ leg: UnbilledCallLeg) throws -> CallLeg
}
