import Foundation
import IVR
import Store

/// Records an outbound leg that no reservation pays for as a CDR at no charge: a fork's
/// attempts that lost (they never talked, so they cost nothing) and the legs of a dial
/// placed unbilled. Every leg that was tried leaves one CDR, not only the winner.
///
/// Called on the SIP loop; the write runs in a `Task` (the store may block).
struct UnbilledLegRecorder: OutboundLegBilling {
    let store: any AccountStore & CDRStore
    let log: @Sendable (String, [String: String]) -> Void

    init(store: any AccountStore & CDRStore, log: @escaping @Sendable (String, [String: String]) -> Void) {
        self.store = store
        self.log = log
    }

    func outboundLegEnded(_ record: OutboundLegRecord) {
        let store = self.store, log = self.log
        Task {
            do {
                _ = try store.recordUnbilledLeg(try Self.leg(record, store: store))
            } catch {
                log("CDR not written", ["b-call-id": record.callID, "to": record.number, "reason": "\(error)"])
            }
        }
    }

    /// The CDR row of `record`: the account of the A leg's `$account.login` when it has one.
    static func leg(_ record: OutboundLegRecord, store: any AccountStore) throws -> UnbilledCallLeg {
        let login = record.context.value(at: VariablePath(["account", "login"]))?.text
        let accountID = try login.flatMap { try store.account(login: $0)?.id }
        return UnbilledCallLeg(
            accountID: accountID, campaign: record.context["campaign"]?.text, trigger: "card", leg: .b,
            fromNumber: record.callerID, toNumber: record.number, startedAt: record.startedAt,
            answeredAt: record.answeredAt, endedAt: record.endedAt, disposition: disposition(of: record),
            sipCause: record.sipStatus ?? (record.answeredAt != nil ? 200 : nil))
    }

    /// The CDR's disposition of a leg's `dial` outcome.
    static func disposition(of record: OutboundLegRecord) -> CallDisposition {
        switch record.outcome {
        case .ended: return record.answeredAt != nil ? .answered : .cancelled
        case .busy: return .busy
        case .noAnswer: return .noAnswer
        case .failed: return .failed
        case .outOfCredit: return .outOfCredit
        }
    }
}
