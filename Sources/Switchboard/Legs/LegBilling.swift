import Foundation
import IVR

/// The one place a scripted leg talks to `CallBilling` (its access leg and its forwards):
/// a leg asks through these few calls and nothing else, so billing can change shape
/// behind them.
final class LegBilling: Sendable {
    let billing: CallBilling

    init(_ billing: CallBilling) {
        self.billing = billing
    }

    /// The script (or the trigger, or free IVR access) bound the leg to `login`.
    func accountAuthenticated(login: String) {
        let billing = self.billing
        billing.inOrder.submit { await billing.accountAuthenticated(login: login) }
    }

    /// A callback's A leg was answered: adopts the leg billed before its INVITE, then binds `payer`.
    func callbackLegAnswered(placed: CallBillingMachine.PlacedAccessLeg?, payer: String?) {
        let billing = self.billing
        billing.inOrder.submit { await billing.callbackLegAnswered(placed: placed, payer: payer) }
    }

    /// The leg is about to end: a forward still up is settled with it, not alone.
    func ending() {
        billing.callEnding()
    }

    /// The leg ended at `time`: settles it (CDR, ledger, balance), then calls `settled`.
    func ended(at time: Date, settled: @escaping @Sendable () -> Void) {
        let billing = self.billing
        billing.inOrder.submit {
            await billing.callEnded(at: time)
            settled()
        }
    }

    /// Reserves for a forward before it is placed (see `CallBilling.forwardWillDial`).
    func forwardWillDial(number: String, callerID: String, request: DialRequest) async -> CallBilling.ForwardGrant {
        let billing = self.billing
        return await billing.inOrder.value {
            await billing.forwardWillDial(number: number, callerID: callerID, limitSeconds: request.maxDurationSeconds,
                                          ringTimeoutSeconds: request.ringTimeoutSeconds)
        }
    }

    /// What a granted forward's B leg reports its answer and end to.
    func forwardLeg(legID: Int64, maxDurationSeconds: Int) -> ForwardLegBilling {
        ForwardLegBilling(billing: billing, legID: legID, maxDurationSeconds: maxDurationSeconds)
    }
}
