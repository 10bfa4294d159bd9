/// Fraud guard (issue 6): a callback's first leg costs the account money, so it may only
/// ring the account's own numbers. The SIP triggers call back the line the network gave
/// (`ani`, `pin`: the caller ID; `did`: the account's forward number), so they pass; a
/// number given by the requester (web, API, spool, SMS `O.`) must be on the account's
/// allow-list: its authorised caller IDs and its forward number. Pure.
enum CallbackOriginPolicy {
    /// Triggers whose origin number is not the requester's choice.
    static let networkTriggers: Set<String> = ["ani", "pin", "did"]

    enum Verdict: Equatable {
        case allowed
        case refused(String)
    }

    static func verdict(trigger: String, origin: String?, account: String?, allowList: [String]) -> Verdict {
        if networkTriggers.contains(trigger) { return .allowed }
        guard let origin, !origin.isEmpty else { return .refused("a \(trigger) callback names no number to call") }
        guard let account else { return .refused("a \(trigger) callback to \(origin) has no account to check it against") }
        let normalised = { (number: String) in number.hasPrefix("+") ? String(number.dropFirst()) : number }
        guard allowList.map(normalised).contains(normalised(origin)) else {
            return .refused("\(origin) is not on the allow-list of account \(account) (its caller IDs and forward number)")
        }
        return .allowed
    }
}
