import Foundation
import IVR

/// Starts a script's `dial` on a leg: bills it first, then places a bridge or a
/// conference. `ScriptedLeg` asks through this; the server's is `DialStarter`, tests give
/// a fake that ends forwards by hand.
protocol ForwardStarter: AnyObject {
    /// False: no dial plan, so `dial` goes to the service desk like any request.
    var canDial: Bool { get }
    /// Places `request` for `leg`. `began` hands over the running forward (the leg's
    /// digits go to it meanwhile); `finish` reports its outcome, once, also when it could
    /// not be placed (then without `began`).
    func startForward(_ request: DialRequest, context: CallContext, leg: any CallLegProtocol, billing: LegBilling?, log: CallLogger,
                      began: @escaping (any ForwardSession) -> Void, finish: @escaping (DialOutcome) -> Void)
}
