import Foundation

/// What to do with a call to an access number, before answering it: run the IVR now,
/// ring then refuse busy and call back (the caller pays nothing), or refuse.
///
/// `decide` is a pure function of the access number's mode (DESIGN.md, "Access-number
/// modes"), what is known of the caller, `anumberhandling` and free IVR access, so every
/// combination is tested in a table (CallbackDecisionTests).
public enum CallbackDecision: Sendable, Hashable {
    /// Answer and run the campaign's script. `freeAccessAccount`: an unauthenticated
    /// caller let in by `free-ivr-access`, billed to that login.
    case runScript(campaign: String, freeAccessAccount: String?)
    /// 180, then 486 Busy Here, then queue a callback.
    case callBack(CallbackTrigger)
    /// Refuse; the reason goes into the SIP reason phrase and the log.
    case drop(reason: String)

    /// - Parameters:
    ///   - mode: the access number's `callback:`.
    ///   - campaign: the access number's campaign (its script is the IVR).
    ///   - caller: what the INVITE and the Store say of the caller.
    ///   - anumberhandling: the access number's, else the global one.
    ///   - freeIVRAccess: `free-ivr-access` with its account, or nil when off.
    public static func decide(mode: CallbackMode, campaign: String, caller: CallerStanding,
                              anumberhandling: ANumberHandling, freeIVRAccess: FreeIVRAccess?) -> CallbackDecision {
        let account = authenticatedAccount(caller, anumberhandling: anumberhandling)
        let authenticated = account != nil

        func ivr() -> CallbackDecision {
            .runScript(campaign: campaign, freeAccessAccount: authenticated ? nil : freeIVRAccess?.account)
        }
        func callBack() -> CallbackDecision {
            switch caller.identification {
            case .personalDID(let id) where authenticated:
                return .callBack(.did(account: id))
            case .knownCallerID(let id) where authenticated, .sipDigest(let id) where authenticated:
                return .callBack(.ani(account: id))
            default:
                // An untrusted caller ID never bills an account alone: the callback leg asks the PIN.
                guard caller.callerIDPresent else {
                    return .drop(reason: "caller ID withheld: no number to call back (dial your personal DID instead)")
                }
                return .callBack(.pin)
            }
        }
        func dropUnauthenticated() -> CallbackDecision {
            // Free IVR access lets unauthenticated callers into the IVR instead of dropping them.
            if freeIVRAccess != nil { return ivr() }
            return .drop(reason: "caller not authenticated (anumberhandling \(anumberhandling.rawValue))")
        }

        switch mode {
        case .none, .alwaysIVR:
            return ivr()
        case .script(let id):
            return .runScript(campaign: id, freeAccessAccount: authenticated ? nil : freeIVRAccess?.account)
        case .auto:
            // Acts on anumberhandling: without "accept" (0, 1) no caller is authenticated
            // before the IVR, so everyone gets the IVR (where a PIN may "add" the caller ID).
            guard anumberhandling.acceptsKnownCallerIDs, authenticated else { return ivr() }
            return callBack()
        case .ivrUnlessAuthenticated:
            return authenticated ? callBack() : ivr()
        case .ivrIfAuthenticated:
            return authenticated ? ivr() : callBack()
        case .dropUnauthenticated:
            return authenticated ? callBack() : dropUnauthenticated()
        case .dropAuthenticated:
            return authenticated ? .drop(reason: "authenticated callers are not served on this number") : callBack()
        case .always:
            return callBack()
        }
    }

    /// The account the caller is authenticated as before answering, if any: SIP digest
    /// always; a personal DID only when the call came from a trusted source (a DID
    /// provider's word for the dialled number); a known caller ID only from a trusted
    /// source and when `anumberhandling` accepts (2, 3).
    public static func authenticatedAccount(_ caller: CallerStanding, anumberhandling: ANumberHandling) -> Int64? {
        switch caller.identification {
        case .unknown: return nil
        case .knownCallerID(let account):
            return anumberhandling.acceptsKnownCallerIDs && caller.trust.callerIDTrusted ? account : nil
        case .personalDID(let account): return caller.trust.callerIDTrusted ? account : nil
        case .sipDigest(let account): return account
        }
    }
}
