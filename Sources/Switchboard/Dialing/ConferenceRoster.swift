import IVR

/// Who is in a conference `dial` and what the script hears at its end: the numbers
/// dialled (at most `maximumParticipants − 1`, the A leg holds a seat), each leg's
/// state, when nobody is left on the B side, and the `dial` verb's outcome.
///
/// Pure: `ConferenceSession` feeds it what happened to each leg; tests drive it directly.
struct ConferenceRoster: Sendable, Equatable {
    enum LegState: Sendable, Equatable {
        /// Placed (or being placed), not yet answered.
        case dialling
        /// Answered; joining the conference.
        case answered
        /// In the conference: hears the others, they hear it.
        case joined
        /// Over, with the leg's own outcome (`ended` for a leg that was answered).
        case ended(DialOutcome)

        var isOver: Bool {
            if case .ended = self { return true }
            return false
        }
    }

    struct Leg: Sendable, Equatable {
        let number: String
        var state: LegState = .dialling
        /// Whether the leg ever joined (its end then counts as a conversation held).
        var joined = false
    }

    let maximumParticipants: Int
    private(set) var legs: [Leg]
    /// Numbers beyond the limit, not dialled.
    let skipped: [String]

    /// `numbers` in the script's order; those that do not fit are skipped.
    init(numbers: [String], maximumParticipants: Int) {
        self.maximumParticipants = max(1, maximumParticipants)
        let seats = self.maximumParticipants - 1
        legs = numbers.prefix(seats).map { Leg(number: $0) }
        skipped = Array(numbers.dropFirst(seats))
    }

    mutating func answered(_ index: Int) {
        guard legs[index].state == .dialling else { return }
        legs[index].state = .answered
    }

    mutating func joined(_ index: Int) {
        guard !legs[index].state.isOver else { return }
        legs[index].state = .joined
        legs[index].joined = true
    }

    /// Leg `index` is over with `outcome` (the first outcome reported counts).
    mutating func ended(_ index: Int, outcome: DialOutcome) {
        guard !legs[index].state.isOver else { return }
        legs[index].state = .ended(outcome)
    }

    /// B parties in the conference now.
    var joinedCount: Int { legs.filter { $0.state == .joined }.count }

    /// No B leg is in the conference, answering or still ringing: the conference is over.
    var nobodyLeft: Bool { legs.allSatisfy(\.state.isOver) }

    /// The `dial` verb's outcome once the conference ended by itself: `ended` when
    /// anybody joined; else the most telling failure: `busy` when a party was busy,
    /// else `no-answer` when one did not answer, else `failed`.
    var outcome: DialOutcome {
        if legs.contains(where: \.joined) { return .ended }
        let outcomes = legs.compactMap { leg -> DialOutcome? in
            if case .ended(let outcome) = leg.state { return outcome }
            return nil
        }
        if outcomes.contains(.busy) { return .busy }
        if outcomes.contains(.noAnswer) { return .noAnswer }
        // No party could be paid for: the script's `out-of-credit` outcome says so.
        if outcomes.contains(.outOfCredit) { return .outOfCredit }
        return .failed
    }
}
