import Foundation

/// Why the script ends the call. The edge maps these to SIP responses or BYE and to Q.850
/// cause values in CDRs (RFC 3326 Reason header).
public enum HangupCause: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// The script ended as planned (Q.850 cause 16).
    case normal
    /// Signal busy (Q.850 17, SIP 486) — e.g. an ANI-callback trigger that must not be answered.
    case busy
    /// Rejected (Q.850 21, SIP 603).
    case rejected
    /// The caller did not answer the script's questions (Q.850 19).
    case noAnswer = "no-answer"
    /// Nothing could be reached (Q.850 3, SIP 404).
    case unavailable
    /// The script itself is wrong (a runaway loop, a missing node): Q.850 41.
    case scriptFailure = "script-failure"
    /// The caller's credit ran out (the billing cut the call): Q.850 has no cause for it,
    /// so the Reason header says 31 (normal, unspecified), as carriers' prepaid switches do;
    /// the CDR's disposition (`out-of-credit`) says why.
    case outOfCredit = "out-of-credit"

    public var description: String { rawValue }

    /// Q.850 cause value for CDRs and the SIP Reason header (RFC 3326).
    public var q850: Int {
        switch self {
        case .normal: return 16
        case .busy: return 17
        case .rejected: return 21
        case .noAnswer: return 19
        case .unavailable: return 3
        case .scriptFailure: return 41
        case .outOfCredit: return 31
        }
    }
}
