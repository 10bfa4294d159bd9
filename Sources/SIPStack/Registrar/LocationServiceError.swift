import SIP

/// Why the location service refused a REGISTER's changes (none of them was applied).
public enum LocationServiceError: Error, Sendable, Hashable, CustomStringConvertible {
    /// RFC 3261 §10.3 step 7: same Call-ID as the binding, but a CSeq not higher than
    /// the one that last touched it — a reordered or replayed REGISTER.
    case outOfOrder(contact: SIPURI, bindingCSeq: UInt32, requestCSeq: UInt32)
    /// More contacts than we keep for one address-of-record.
    case tooManyBindings(AddressOfRecord, limit: Int)

    public var description: String {
        switch self {
        case .outOfOrder(let contact, let binding, let request):
            return "CSeq \(request) is not higher than \(binding), which last updated the binding of \(contact) in this Call-ID"
        case .tooManyBindings(let aor, let limit):
            return "\(aor) would have more than \(limit) registered contacts"
        }
    }
}
