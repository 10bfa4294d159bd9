import SIPStack
import Store

/// Who a `dial` to one number rings, and in what order (DESIGN.md, callback service 1:
/// "their registered SIP port; if not registered or no answer, their forward number —
/// fork or sequential").
///
/// A number that is a user's login first reaches the user's "port", its registered
/// contacts; the account's forward mode says when its forward number rings as well. The
/// result is a list of groups: every target of a group rings at once, the first to answer
/// wins, and when a whole group ends unanswered (no answer in its time, busy, failed,
/// nobody registered) the next group rings. Any other number is one group: the trunk.
///
/// Pure: the registrations and the account are looked up by the caller and passed in.
struct ForwardPlan: Sendable, Equatable {
    /// One thing to ring.
    enum Target: Sendable, Equatable {
        /// A registered contact of the dialled user (the Request-URI is the contact).
        case contact(LocationBinding)
        /// A number placed through the trunks (the dialled number, or a forward number).
        case number(String)
    }

    /// Targets rung together, and how long before the group counts as unanswered.
    struct Group: Sendable, Equatable {
        var targets: [Target]
        /// Seconds this group rings; nil: the dial's own ring time-out.
        var ringSeconds: Int?
    }

    /// What the account says about forwarding its calls (defaults for a user without an
    /// account record, or whose record could not be read).
    struct Settings: Sendable, Equatable {
        var forwardNumber: String?
        var mode: ForwardMode
        var forwardAfterSeconds: Int

        init(forwardNumber: String? = nil, mode: ForwardMode = .default,
             forwardAfterSeconds: Int = ForwardMode.defaultForwardAfterSeconds) {
            self.forwardNumber = forwardNumber
            self.mode = mode
            self.forwardAfterSeconds = forwardAfterSeconds
        }

        init(account: Account) {
            self.init(forwardNumber: account.forwardNumber, mode: account.forwardMode,
                      forwardAfterSeconds: account.forwardAfterSeconds)
        }
    }

    var groups: [Group]

    /// - Parameters:
    ///   - number: the number the script dialled.
    ///   - contacts: the live registered contacts of `number` as a user (most preferred first).
    ///   - settings: the forwarding of the account whose login is `number`; nil when the
    ///     number is no user's login.
    init(number: String, contacts: [LocationBinding], settings: Settings?) {
        let phones = Group(targets: contacts.map(Target.contact), ringSeconds: nil)
        // A forward to the dialled number itself would ring the same thing twice.
        let forward = settings?.forwardNumber.flatMap { $0.isEmpty || $0 == number ? nil : $0 }
        guard let settings, let forward, settings.mode != .none else {
            // No forwarding: the phones if registered, else the number through a trunk (a
            // user's login can also be a number a trunk carries).
            groups = contacts.isEmpty ? [Group(targets: [.number(number)], ringSeconds: nil)] : [phones]
            return
        }
        let forwardGroup = Group(targets: [.number(forward)], ringSeconds: nil)
        if contacts.isEmpty {
            groups = [forwardGroup]
            return
        }
        switch settings.mode {
        case .none, .unregistered:
            groups = [phones]
        case .noAnswer:
            groups = [Group(targets: phones.targets, ringSeconds: max(1, settings.forwardAfterSeconds)), forwardGroup]
        case .fork:
            groups = [Group(targets: phones.targets + [.number(forward)], ringSeconds: nil)]
        }
    }

    init(groups: [Group]) {
        self.groups = groups
    }

    /// The outcome of a group whose every target ended unanswered: one busy phone says
    /// more than silence, and a no-answer more than a failure.
    static func unansweredOutcome(_ outcomes: [OutboundCallOutcome]) -> OutboundCallOutcome {
        if outcomes.contains(.busy) { return .busy }
        if outcomes.contains(.noAnswer) { return .noAnswer }
        if outcomes.contains(.cancelled) { return .cancelled }
        return .failed
    }
}

extension ForwardPlan {
    /// The `trunk` of a route to a registered phone (in logs and billing records).
    static let registeredTrunk = "registered-contact"

    /// Where one target goes: a registered contact is called on its contact (the
    /// `dialled` number is the user's login), through its Path if it registered through
    /// an edge proxy; a number goes through the trunk that carries it.
    static func route(for target: Target, dialled: String, trunks: TrunkSelector) throws -> TrunkSelector.Route {
        switch target {
        case .contact(let binding):
            return TrunkSelector.Route(trunk: registeredTrunk, dialled: dialled, number: dialled,
                                       requestURI: binding.contact, destination: binding.destination,
                                       routeSet: binding.routeSet)
        case .number(let number):
            return try trunks.route(for: number)
        }
    }

    /// The first route the plan tries (for the log line of a dial); nil when it has none
    /// or the first number has no trunk.
    func firstRoute(dialled: String, trunks: TrunkSelector) -> TrunkSelector.Route? {
        guard let first = groups.first?.targets.first else { return nil }
        return try? Self.route(for: first, dialled: dialled, trunks: trunks)
    }
}
