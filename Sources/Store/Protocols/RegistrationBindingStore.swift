import Foundation

/// The SIP registrar's bindings, kept across restarts (issue 16). The registrar writes
/// an address-of-record's whole set after each REGISTER that changes it, and reads the
/// live ones back at start; what is expired is invisible and deleted by housekeeping.
public protocol RegistrationBindingStore: Sendable {
    /// Every binding live at `now` (expiry after it), ordered by user, domain, id.
    func registrationBindings(liveAt now: Date) throws -> [RegistrationBinding]
    /// The bindings of `user@domain` live at `now`, ordered by id: the location lookup every
    /// outbound route makes (by the address's index, whatever the number of phones).
    func registrationBindings(user: String, domain: String, liveAt now: Date) throws -> [RegistrationBinding]
    /// Replaces the bindings of `user@domain` with `bindings` in one transaction (empty:
    /// removes them). Each binding's `user` and `domain` must be these.
    func replaceRegistrationBindings(user: String, domain: String, with bindings: [RegistrationBinding]) throws
    /// Deletes the bindings expired at `now` (expiry at or before it); returns how many.
    func deleteRegistrationBindings(expiredAt now: Date) throws -> Int
}
