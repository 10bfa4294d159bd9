import Store

/// Fraud guard (issue 6): a callback's first leg costs the account money, so it may only
/// ring the account's own numbers. The SIP triggers call back the line the network gave
/// (the caller ID, or the account's forward number for a DID), so they pass; a number
/// given by the requester (web, API, spool, SMS `O.`, a variable in a script's `callback`)
/// must be on the account's allow-list: its authorised caller IDs and its forward number.
/// Pure.
enum CallbackOriginPolicy {
    enum Verdict: Equatable {
        case allowed
        case refused(String)
    }

    /// The verdict on a number the requester chose.
    static func verdict(trigger: CallTrigger, origin: String?, account: String?, allowList: [String]) -> Verdict {
        guard let origin, !origin.isEmpty else { return .refused("a \(trigger) callback names no number to call") }
        guard let account else { return .refused("a \(trigger) callback to \(origin) has no account to check it against") }
        let normalised = { (number: String) in number.hasPrefix("+") ? String(number.dropFirst()) : number }
        guard allowList.map(normalised).contains(normalised(origin)) else {
            return .refused("\(origin) is not on the allow-list of account \(account) (its caller IDs and forward number)")
        }
        return .allowed
    }
}
