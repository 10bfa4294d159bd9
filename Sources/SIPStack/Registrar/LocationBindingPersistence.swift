import Foundation

/// Where the location service's bindings outlive the process: without it a restart
/// (or a kill -9) forgets every registered phone until each one re-registers, up to
/// an hour later. SIP has no way for a registrar to ask phones to re-register (a
/// NOTIFY of the reg event package reaches only phones that subscribed, and few do),
/// so the bindings are kept and loaded back at start.
///
/// SIPStack owns the protocol, in its own terms; a store implements it behind an
/// adapter (the Switchboard's), so nothing here knows the database.
public protocol LocationBindingPersistence: Sendable {
    /// Every binding stored that is live at `now`, per address-of-record.
    func loadBindings(now: Date) throws -> [AddressOfRecord: [LocationBinding]]
    /// Replaces what is stored for `aor` with `bindings` (empty: removes them all).
    func saveBindings(_ bindings: [LocationBinding], of aor: AddressOfRecord) throws
    /// Deletes the bindings expired at `now`; returns how many.
    func deleteExpiredBindings(now: Date) throws -> Int
    /// The bindings of one address-of-record live at `now`, as stored: with a store
    /// shared by several nodes, those a phone registered through any of them.
    func loadBindings(of aor: AddressOfRecord, now: Date) throws -> [LocationBinding]
}

extension LocationBindingPersistence {
    /// Every live binding, filtered: correct for any store; a store with an index on the
    /// address-of-record answers it with a query of its own.
    public func loadBindings(of aor: AddressOfRecord, now: Date) throws -> [LocationBinding] {
        try loadBindings(now: now)[aor] ?? []
    }
}
