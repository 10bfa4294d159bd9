import Foundation
import Store

/// Why a callback is placed, as recorded in the queue (`CallbackRequest.trigger`): the
/// worker calls back the caller ID (ANI, PIN) or the account's forward number (DID).
public enum CallbackTrigger: Sendable, Hashable {
    /// The caller is authenticated (caller ID per `anumberhandling`, or SIP digest): call
    /// the caller ID back, bound to the account.
    case ani(account: Int64)
    /// The caller is not authenticated: call the caller ID back and let the script ask
    /// for a PIN on the callback leg (an untrusted caller ID never bills an account alone).
    case pin
    /// The dialled number is the account's personal DID: call its forward number back,
    /// whatever the caller ID (works with a withheld one).
    case did(account: Int64)

    /// The queue's and the CDR's `trigger` column.
    public var callTrigger: CallTrigger {
        switch self {
        case .ani: return .sipANI
        case .pin: return .sipPIN
        case .did: return .sipDID
        }
    }

    public var account: Int64? {
        switch self {
        case .ani(let account), .did(let account): return account
        case .pin: return nil
        }
    }
}
