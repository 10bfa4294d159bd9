import Foundation
import IVR

/// Whether a call's caller ID may be believed, decided once where the call arrives and
/// carried as data (the call variable `caller-trust`) to every later decision: the
/// access-number mode, the IVR's `ani` and `did` methods, `remember-caller` (issue 11).
///
/// Missing means untrusted: a path that forgets to say fails closed.
public enum CallerTrust: String, Sendable, Hashable, CaseIterable {
    /// The INVITE came from a declared trusted source (a trunk's or DID provider's
    /// `trusted-sources:`): its From (or P-Asserted-Identity) and Request-URI are the
    /// carrier's word.
    case trustedSource = "trusted-source"
    /// A callback leg: we dialled the number ourselves, so whoever answered is reachable
    /// at it.
    case calledBack = "called-back"
    /// Anything else (digest-authenticated softphones included: their login is
    /// authenticated, not the number they claim).
    case untrusted

    /// The call variable that carries it.
    public static let variable = "caller-trust"
    /// The caller ID a trusted source asserted (P-Asserted-Identity, else From).
    public static let callerIDVariable = "trusted-caller-id"
    /// The transport source address of the call (PIN failures are counted per source).
    public static let sourceVariable = "caller-source"
    /// The access number's `anumberhandling` (0-3), for `ani` and `remember-caller`.
    public static let anumberhandlingVariable = "anumberhandling"

    /// The caller ID may authenticate (ANI) and be remembered.
    public var callerIDTrusted: Bool { self != .untrusted }

    public var value: IVRValue { .string(rawValue) }

    /// The trust a call's variable says; anything but a known value is untrusted.
    public init(variable: IVRValue?) {
        self = variable.flatMap { CallerTrust(rawValue: $0.text) } ?? .untrusted
    }
}
