import Foundation
import SIP

/// The location service of RFC 3261 §10: bindings from addresses-of-record to contact
/// URIs, each with an absolute expiry. A value with no clock: every operation takes
/// `now`, expired bindings are invisible at once and removed by `sweep(now:)`.
///
/// Changes come a REGISTER at a time and are all-or-nothing (§10.3 step 7): one
/// out-of-order contact or one binding too many, and nothing of that request applies.
public struct LocationService: Sendable {
    /// Contacts kept per address-of-record; a REGISTER that would exceed it is refused.
    public var maximumBindingsPerAddress: Int
    private var table: [AddressOfRecord: [LocationBinding]] = [:]

    public init(maximumBindingsPerAddress: Int = 10) {
        self.maximumBindingsPerAddress = maximumBindingsPerAddress
    }

    /// The live bindings of `aor`, best first: highest q (no q counts as 1), then the
    /// most recently refreshed — the order to try them in.
    public func bindings(for aor: AddressOfRecord, now: Date) -> [LocationBinding] {
        Self.preferred(table[aor] ?? [], now: now)
    }

    /// The live ones of `bindings`, best first: highest q (no q counts as 1), then the
    /// most recently refreshed.
    public static func preferred(_ bindings: [LocationBinding], now: Date) -> [LocationBinding] {
        bindings.filter { $0.isLive(at: now) }.sorted { a, b in
            let qa = a.q ?? .highest, qb = b.q ?? .highest
            if qa != qb { return qa > qb }
            return a.registeredAt > b.registeredAt
        }
    }


    public func isRegistered(_ aor: AddressOfRecord, now: Date) -> Bool {
        (table[aor] ?? []).contains { $0.isLive(at: now) }
    }

    /// Addresses-of-record with at least one live binding.
    public func registeredAddresses(now: Date) -> [AddressOfRecord] {
        table.compactMap { aor, bindings in bindings.contains { $0.isLive(at: now) } ? aor : nil }.sorted()
    }

    /// Adds, refreshes or removes (`expiresIn` 0) the contacts of one REGISTER
    /// (§10.3 step 7): a binding of another Call-ID is replaced; of the same Call-ID only
    /// by a higher CSeq, else the whole request is refused. Returns the live bindings after.
    @discardableResult
    public mutating func register(_ aor: AddressOfRecord, contacts: [ContactRegistration], callID: String, cseq: UInt32,
                                  now: Date) throws(LocationServiceError) -> [LocationBinding] {
        var bindings = (table[aor] ?? []).filter { $0.isLive(at: now) }
        for registration in contacts {
            let existing = bindings.firstIndex { LocationBinding.sameContact($0.contact, registration.contact) }
            if let existing {
                let binding = bindings[existing]
                if binding.callID == callID && cseq <= binding.cseq {
                    throw .outOfOrder(contact: registration.contact, bindingCSeq: binding.cseq, requestCSeq: cseq)
                }
                if registration.expiresIn == 0 {
                    bindings.remove(at: existing)
                } else {
                    bindings[existing] = Self.binding(registration, callID: callID, cseq: cseq, now: now)
                }
            } else if registration.expiresIn > 0 {
                bindings.append(Self.binding(registration, callID: callID, cseq: cseq, now: now))
            }
        }
        if bindings.count > maximumBindingsPerAddress {
            throw .tooManyBindings(aor, limit: maximumBindingsPerAddress)
        }
        table[aor] = bindings.isEmpty ? nil : bindings
        return self.bindings(for: aor, now: now)
    }

    /// `Contact: *` with `Expires: 0` (§10.3 step 6): removes every binding of `aor`,
    /// unless one of them was last updated in this Call-ID with a CSeq not lower than
    /// this one (then nothing is removed). Returns the bindings removed.
    @discardableResult
    public mutating func removeAll(for aor: AddressOfRecord, callID: String, cseq: UInt32,
                                   now: Date) throws(LocationServiceError) -> [LocationBinding] {
        let live = (table[aor] ?? []).filter { $0.isLive(at: now) }
        if let newer = live.first(where: { $0.callID == callID && cseq <= $0.cseq }) {
            throw .outOfOrder(contact: newer.contact, bindingCSeq: newer.cseq, requestCSeq: cseq)
        }
        table[aor] = nil
        return live
    }

    /// Forgets bindings expired at `now`; returns them with their address-of-record.
    public mutating func sweep(now: Date) -> [(addressOfRecord: AddressOfRecord, binding: LocationBinding)] {
        var expired = [(addressOfRecord: AddressOfRecord, binding: LocationBinding)]()
        for (aor, bindings) in table {
            let (live, dead) = (bindings.filter { $0.isLive(at: now) }, bindings.filter { !$0.isLive(at: now) })
            expired += dead.map { (addressOfRecord: aor, binding: $0) }
            table[aor] = live.isEmpty ? nil : live
        }
        return expired.sorted { ($0.addressOfRecord, $0.binding.expires) < ($1.addressOfRecord, $1.binding.expires) }
    }

    /// Puts back bindings kept across a restart (`LocationBindingPersistence`): the live
    /// ones replace whatever `aor` has; beyond `maximumBindingsPerAddress` the freshest
    /// are kept. Returns how many were restored.
    @discardableResult
    public mutating func restore(_ aor: AddressOfRecord, bindings: [LocationBinding], now: Date) -> Int {
        let live = bindings.filter { $0.isLive(at: now) }
            .sorted { $0.registeredAt > $1.registeredAt }
            .prefix(maximumBindingsPerAddress)
        table[aor] = live.isEmpty ? nil : Array(live)
        return live.count
    }

    /// Bindings stored, expired or not (what a sweep has not yet removed).
    public var storedBindingCount: Int { table.values.reduce(0) { $0 + $1.count } }

    private static func binding(_ registration: ContactRegistration, callID: String, cseq: UInt32, now: Date) -> LocationBinding {
        LocationBinding(contact: registration.contact, expires: now.addingTimeInterval(TimeInterval(registration.expiresIn)),
                        q: registration.q, callID: callID, cseq: cseq, registeredAt: now,
                        source: registration.source, userAgent: registration.userAgent,
                        path: registration.path)
    }
}
