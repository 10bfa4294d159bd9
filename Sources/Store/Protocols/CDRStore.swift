import Foundation

/// Reading call detail records (closed and open legs).
public protocol CDRStore: Sendable {
    /// Legs started at or after `since` (all if nil), of one account (all if nil), oldest first.
    func callLegs(since: Date?, account id: Int64?) throws -> [CallLeg]
    /// Records a finished leg that costs nothing and had no reservation (an ANI call
    /// rejected before the callback, a failed attempt), so every leg has a CDR.
    func recordUnbilledLeg(_ leg: UnbilledCallLeg) throws -> CallLeg
}
