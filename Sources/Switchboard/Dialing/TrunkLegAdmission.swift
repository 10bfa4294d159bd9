import Foundation
import IVR
import Store

/// Whether one outbound leg may leave, decided before its INVITE (issue 11, "every trunk
/// leg is rated, reserved and recorded, or not placed"): a pure function of what the leg
/// is, who pays for it, how the payer's plan rates the number the leg actually reaches,
/// and what the store answered when asked to set money aside. Every path that places a
/// leg (a bridge `dial`, each fork attempt, a dialled login's forward number, each
/// conference party, a callback's A leg) asks it, so its table (TrunkLegAdmissionTests)
/// is the rule.
///
/// Two steps, because the reservation is a store write: first `decide` with
/// `reservation: .notAsked` says whether to ask the store (`.reserve`), refuse, or place
/// without money (a user's own registered phone, or a user of this service dialled by
/// login, even on a call nobody is bound to);
/// then `decide` with the store's answer says place (for at most the granted seconds) or refuse.
struct TrunkLegAdmission: Sendable, Hashable {
    /// What kind of leg is being placed (the paths of the table).
    enum Kind: Sendable, Hashable {
        /// A `dial` to one number: the B leg of a bridge.
        case bridge
        /// One attempt of a dial that rings several targets (a user's phones and forward number).
        case forkAttempt
        /// A dialled login's forward number: rated where it leads, not at the login.
        case dialledLoginForward
        /// One party of a conference (`dial` to several numbers).
        case conferenceParty
        /// The leg that calls the user back, by what queued the request.
        case callbackALeg(CallTrigger)
    }

    /// Where the leg goes.
    enum Route: Sendable, Hashable {
        /// Through a trunk: it costs money.
        case trunk
        /// A registered contact of one of our users: costs nothing, still recorded.
        case registeredContact
    }

    /// Who pays for the leg.
    enum Payer: Sendable, Hashable {
        /// The account the call or the request is bound to.
        case account(login: String)
        /// The house account `callback.free-access-user` (an unauthenticated PIN callback).
        case houseAccount(login: String)
        /// A script's dial on a call no account is bound to (no `authenticate`, no free IVR
        /// access): it may reach our own users (recorded at no charge), never a trunk
        /// destination, which nobody would pay for (a toll-fraud relay).
        case unboundCall
        /// Nobody: the leg must not be placed.
        case nobody(reason: String)
    }

    /// How the payer's plan rates the number the leg reaches.
    enum Rating: Sendable, Hashable {
        case rated
        /// A user of this service (a dialled login's own number): not a destination, not rated.
        case user
        case noRate(reason: String)
        case blocked(reason: String)
        /// No plan, an unreadable account, a store error.
        case unpriceable(reason: String)
    }

    /// What the store said when asked to set money aside for the leg.
    enum Reservation: Sendable, Hashable {
        case notAsked
        /// Money is held: at most `seconds` of talk from the answer.
        case granted(seconds: Int)
        /// The plan does not charge this leg (a callback's A leg on a free-A-leg plan): no
        /// money held, but the payer must have credit left for what follows.
        case freeLeg(freeBalancePositive: Bool)
        case refused(reason: String)
    }

    enum Verdict: Sendable, Hashable {
        /// Ask the store to reserve (then decide again with its answer).
        case reserve
        /// Place it, billed, cut after `grantSeconds` of talk.
        case place(grantSeconds: Int)
        /// Place it at no charge, recorded (a registered contact, a user, a callback's A leg
        /// a plan does not charge).
        case placeUnrated
        /// Do not place it: no INVITE leaves; the dial (or the callback request) ends with `outcome`.
        case refuse(DialOutcome, reason: String)
    }

    var kind: Kind
    var route: Route
    var payer: Payer
    var rating: Rating
    var reservation: Reservation

    init(kind: Kind, route: Route, payer: Payer, rating: Rating, reservation: Reservation = .notAsked) {
        self.kind = kind
        self.route = route
        self.payer = payer
        self.rating = rating
        self.reservation = reservation
    }

    var verdict: Verdict {
        // Our own users' phones are not a trunk: no rate, nothing to reserve, but a record.
        if route == .registeredContact { return .placeUnrated }
        switch payer {
        case .nobody(let reason):
            return .refuse(.failed, reason: "nobody pays for the leg: \(reason)")
        case .unboundCall:
            // Only a script's own dial of an unbound call; a callback never places a leg nobody pays for.
            if case .callbackALeg(let trigger) = kind {
                return .refuse(.failed, reason: "nobody pays for the \(trigger) callback's leg: no account")
            }
            // A user of this service dialled by login costs nothing; anything else goes to a
            // destination nobody pays for (`failed`: the caller hears the call could not be made).
            guard rating == .user else {
                return .refuse(.failed, reason: Self.unboundTrunkLegRefusal)
            }
            return .placeUnrated
        case .houseAccount:
            // The house pays only for the leg that asks an unauthenticated caller for the PIN.
            guard case .callbackALeg(.sipPIN) = kind else {
                return .refuse(.failed, reason: "the house account pays only for PIN callbacks' first leg")
            }
        case .account:
            break
        }
        switch rating {
        case .rated:
            break
        case .user:
            // A dialled login reaches our own user: the login itself is never a trunk destination.
            if case .callbackALeg = kind { return .refuse(.failed, reason: "the number to call back has no rate") }
            return .placeUnrated
        case .noRate(let reason), .blocked(let reason), .unpriceable(let reason):
            return .refuse(.failed, reason: reason)
        }
        switch reservation {
        case .notAsked:
            return .reserve
        case .granted(let seconds):
            guard seconds > 0 else { return .refuse(.outOfCredit, reason: "the reservation grants no talk time") }
            return .place(grantSeconds: seconds)
        case .freeLeg(let positive):
            guard case .callbackALeg = kind else {
                return .refuse(.failed, reason: "only a callback's first leg may be free of charge")
            }
            return positive ? .placeUnrated : .refuse(.outOfCredit, reason: "no credit left")
        case .refused(let reason):
            return .refuse(.outOfCredit, reason: reason)
        }
    }

    /// Why a trunk leg of a call no account is bound to is not placed (logged with the refusal).
    static let unboundTrunkLegRefusal = "no account is bound to the call: the trunk leg is not placed"

    /// Who pays for a callback's A leg: the account the trigger bound; for a PIN callback,
    /// whose caller is not authenticated yet, the house account, or nobody when none is
    /// configured (the callback is then refused).
    static func callbackPayer(trigger: CallTrigger, accountLogin: String?, houseAccount: String?) -> Payer {
        if let accountLogin { return .account(login: accountLogin) }
        guard trigger == .sipPIN else { return .nobody(reason: "the \(trigger) request names no account") }
        guard let houseAccount, !houseAccount.isEmpty else {
            return .nobody(reason: "an unauthenticated PIN callback is paid by callback.free-access-user, and none is configured")
        }
        return .houseAccount(login: houseAccount)
    }
}
