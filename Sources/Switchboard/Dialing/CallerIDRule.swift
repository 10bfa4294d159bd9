/// The caller ID a forward's B leg presents (the user part of its From, RFC 3261 §20.20),
/// chosen in this order:
///
/// 1. the script's `caller-id:` on the `dial` (an admin's explicit choice for this call);
/// 2. the campaign's `caller-id` (the number presented per campaign);
/// 3. the A leg's own caller, when the campaign forwards caller IDs (`forward-caller-id`,
///    the default): the callee sees who is really calling;
/// 4. the trunk's `caller-id` (what the carrier expects when nothing else is said);
/// 5. none: the From says `anonymous`.
///
/// Empty strings count as unset at every step.
struct CallerIDRule: Sendable, Equatable {
    /// The campaign's settings (`caller-id`, `forward-caller-id`).
    var campaignCallerID: String?
    var forwardCallerID: Bool

    init(campaignCallerID: String? = nil, forwardCallerID: Bool = true) {
        self.campaignCallerID = campaignCallerID
        self.forwardCallerID = forwardCallerID
    }

    /// The presented number for one outbound leg; "" for anonymous.
    func presented(scriptCallerID: String?, aLegCaller: String, trunkCallerID: String?) -> String {
        func given(_ value: String?) -> String? { value.flatMap { $0.isEmpty ? nil : $0 } }
        return given(scriptCallerID)
            ?? given(campaignCallerID)
            ?? (forwardCallerID ? given(aLegCaller) : nil)
            ?? given(trunkCallerID)
            ?? ""
    }
}
