/// A conference's parties asked for their reservations one at a time, in the order they
/// are admitted. Each party may hold its share of what the parties before it left free
/// (`CallBilling.partyWillDial`), which is fair only if the billing actor sees the requests
/// in that order; two requests sent together reach the actor in either order, and then the
/// last party (share 1) could take the whole free balance and leave the first refused as
/// out of credit (seen in a CI run of the web conference callback). So the next party is
/// asked only once the previous one's answer is in.
struct PartyReservationQueue<Party> {
    /// Parties not yet asked for money, this one included: each is held to 1/n of the free balance.
    private var partiesToReserve: Int
    private var waiting: [Party] = []
    private var asking = false

    init(parties: Int) {
        partiesToReserve = parties
    }

    /// `party` is ready to be reserved for: the party to ask for now and its share, or nil
    /// while another party's answer is awaited (it is asked in its turn).
    mutating func admit(_ party: Party) -> (party: Party, share: Int)? {
        waiting.append(party)
        return asking ? nil : next()
    }

    /// The answer for the party being asked came: the next party to ask for, if any.
    mutating func answered() -> (party: Party, share: Int)? {
        asking = false
        return next()
    }

    /// The conference ended: the parties still waiting are not asked.
    mutating func abandon() -> [Party] {
        asking = false
        defer { waiting.removeAll() }
        return waiting
    }

    private mutating func next() -> (party: Party, share: Int)? {
        guard !waiting.isEmpty else { return nil }
        asking = true
        let share = max(1, partiesToReserve)
        partiesToReserve -= 1
        return (waiting.removeFirst(), share)
    }
}
