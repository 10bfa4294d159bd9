import NIOCore
import SIPStack

extension DialPlan {
    /// Who a call to `number` rings (`ForwardPlan`): its registered contacts, and the
    /// account's forwarding read off the SIP loop (the store may block), handed back on
    /// `loop`. Every outbound route starts here: a dial's B leg, each conference party,
    /// a callback's A leg.
    ///
    /// Call it on `loop`; `found` runs there later (never before this returns).
    func forwardPlan(for number: String, answerOn loop: any EventLoop,
                     _ found: @escaping (ForwardPlan, ForwardPlan.Settings?) -> Void) {
        let registrations = self.registrations
        let bound = NIOLoopBound(found, eventLoop: loop)
        let decide: @Sendable (ForwardPlan.Settings?, [LocationBinding]?) -> Void = { settings, stored in
            let contacts = registrations?.contacts(of: number, stored: stored) ?? []
            bound.value(ForwardPlan(number: number, contacts: contacts, settings: settings), settings)
        }
        // The store's bindings: a phone may have registered through another node.
        let storedContacts = registrations?.storedContactsLookup(of: number)
        let forwarding = self.forwarding
        guard forwarding != nil || storedContacts != nil else { return loop.execute { decide(nil, nil) } }
        Task {
            let settings = await forwarding?.forwardSettings(login: number)
            let stored = storedContacts?() ?? nil
            loop.execute { decide(settings, stored) }
        }
    }
}
