import Billing
import Foundation

/// The billing intents and steps of `BillingStore`, written once over `BillingRows`: each
/// function runs inside the caller's write transaction (SQLite's `writer.write`,
/// PostgreSQL's `transaction`), interleaving reads, Swift arithmetic and writes. Whatever
/// changes an account's money or reservations first locks the account row
/// (`lockAccount`), then reads what it checks, so nothing can change between the checks
/// and the writes, on one node or several.
enum BillingTransactions {
    // MARK: - Intents

    static func openAccessLeg<Rows: BillingRows>(_ rows: Rows, _ request: AccessLegRequest, rate: Rate,
                                                 at now: Date) throws -> AccessLegOutcome {
        let outcome = try reserveForCall(
            rows, account: request.accountID, plan: request.plan, aLeg: nil, bNumber: request.accessNumber,
            limit: request.limit, call: request.call, replacing: nil, at: now)
        switch outcome {
        case let .refused(refusal):
            let cdr = try rows.insertUnbilledLeg(UnbilledCallLeg(
                accountID: request.accountID, campaign: request.call.campaign, trigger: request.call.trigger,
                leg: .a, fromNumber: request.caller, toNumber: request.accessNumber, startedAt: request.startedAt,
                answeredAt: request.answeredAt, endedAt: now, disposition: .outOfCredit,
                // Never placed (reserved before its INVITE): no SIP answer to name.
                sipCause: request.answeredAt == nil ? nil : 200))
            return .refused(refusal, cdr: cdr)
        case let .reserved(reservation, duration):
            let seconds = duration?.seconds ?? 0
            let leg = try insertLeg(
                rows, reservation: reservation,
                NewCallLeg(leg: .a, fromNumber: request.caller, toNumber: request.accessNumber,
                           startedAt: request.startedAt, rate: rate, charged: true),
                grantedSeconds: seconds, answeredAt: request.answeredAt)
            return .opened(LegGrant(reservation: reservation, leg: leg, grantedSeconds: seconds))
        }
    }

    /// The access leg changes payer mid-call: reservation `id` (the first payer's, with only
    /// the access leg on it) is settled as `ending` says, then the leg goes on as a new leg
    /// billed to `request`'s account from `request.answeredAt`.
    static func handOverAccessLeg<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, _ ending: LegEnding,
                                                     to request: AccessLegRequest, rate: Rate,
                                                     at now: Date) throws -> AccessLegHandover {
        let settled = try settle(rows, reservation: id, endings: [ending], at: now, recovering: false)
        return AccessLegHandover(settled: settled, opened: try openAccessLeg(rows, request, rate: rate, at: now))
    }

    static func openForward<Rows: BillingRows>(_ rows: Rows, _ request: ForwardRequest, rate: Rate,
                                               at now: Date) throws -> ForwardOutcome {
        var accessLeg: CallLeg?
        var aLeg: ALegCharge?
        if let share = request.accessLeg {
            guard let leg = try rows.callLeg(share.legID) else { throw StoreError.unknownCallLeg(share.legID) }
            guard leg.reservationID == share.reservationID else {
                throw StoreError.legNotInReservation(leg: share.legID, reservation: share.reservationID)
            }
            guard leg.isOpen else { throw LegSettlementError.legAlreadyClosed(share.legID) }
            accessLeg = leg
            aLeg = ALegCharge(number: leg.toNumber, elapsedSeconds: max(0, share.elapsedSeconds))
        }
        let outcome = try reserveForCall(
            rows, account: request.accountID, plan: request.plan, aLeg: aLeg, bNumber: request.number,
            limit: request.limit, call: request.call, replacing: request.accessLeg?.reservationID, at: now)
        switch outcome {
        case let .refused(refusal):
            // `reserve` wrote nothing before refusing.
            return .refused(refusal)
        case let .reserved(reservation, duration):
            let seconds = duration?.seconds ?? 0
            let leg = try insertLeg(
                rows, reservation: reservation,
                NewCallLeg(leg: .b, fromNumber: request.callerID, toNumber: request.number, startedAt: now,
                           rate: rate, charged: true),
                grantedSeconds: seconds)
            var accessLegSeconds: Int?
            if var accessLeg, let aLeg {
                // The reservation now pays for the access leg up to its elapsed time (ring
                // included) plus the B leg's talk: that is where the access leg is cut.
                accessLeg.grantedSeconds = aLeg.elapsedSeconds + seconds
                try rows.update(accessLeg)
                accessLegSeconds = accessLeg.grantedSeconds
            }
            return .opened(LegGrant(reservation: reservation, leg: leg, grantedSeconds: seconds),
                           accessLegSeconds: accessLegSeconds)
        }
    }

    static func resizeAccessLeg<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, leg legID: Int64, plan: RatePlan,
                                                   limit: Int, at now: Date) throws -> AccessLegResize {
        guard let leg = try rows.callLeg(legID) else { throw StoreError.unknownCallLeg(legID) }
        guard leg.reservationID == id else { throw StoreError.legNotInReservation(leg: legID, reservation: id) }
        guard leg.isOpen else { throw LegSettlementError.legAlreadyClosed(legID) }
        return try resizeAccessLeg(rows, reservation: id, leg: leg, plan: plan, limit: limit, at: now)
    }

    static func closeForward<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, _ ending: LegEnding,
                                                accessLegPlan: RatePlan?, at now: Date) throws -> ForwardClosing {
        _ = try lockedOpenReservation(rows, id)
        let others = try rows.legs(reservation: id).filter { $0.isOpen && $0.id != ending.legID }
        guard !others.isEmpty else {
            // The forward's own reservation: settled whole, the rest released.
            let settlement = try settle(rows, reservation: id, endings: [ending], at: now, recovering: false)
            return ForwardClosing(settlement: settlement, accessLeg: nil)
        }
        let settlement = try settleLeg(rows, reservation: id, ending, at: now)
        var resize: AccessLegResize?
        if let plan = accessLegPlan, let accessLeg = others.first(where: { $0.leg == .a }) {
            resize = try resizeAccessLeg(rows, reservation: id, leg: accessLeg, plan: plan, at: now)
        }
        return ForwardClosing(settlement: settlement, accessLeg: resize)
    }

    /// Resizes reservation `id` to what its access leg alone may cost from its answer, and
    /// grants the leg that time.
    static func resizeAccessLeg<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, leg: CallLeg, plan: RatePlan,
                                                   limit: Int = MaximumDuration.defaultLimit,
                                                   at now: Date) throws -> AccessLegResize {
        guard let reservation = try rows.reservation(id) else { throw StoreError.unknownReservation(id) }
        let outcome = try reserveForCall(
            rows, account: reservation.accountID, plan: plan, aLeg: nil, bNumber: leg.toNumber,
            limit: min(max(0, limit), MaximumDuration.defaultLimit),
            call: CallContext(campaign: reservation.campaign, trigger: reservation.trigger), replacing: id, at: now)
        switch outcome {
        case let .refused(refusal):
            return .refused(refusal)
        case let .reserved(resized, duration):
            var leg = leg
            leg.grantedSeconds = duration?.seconds ?? 0
            try rows.update(leg)
            return .resized(resized, grantedSeconds: leg.grantedSeconds ?? 0)
        }
    }

    // MARK: - Steps

    static func reserve<Rows: BillingRows>(_ rows: Rows, account id: Int64, amount: Money, maxDurationSeconds: Int?,
                                           call: CallContext, at now: Date) throws -> ReservationOutcome {
        guard amount.minorUnits >= 0 else { throw StoreError.nonPositiveAmount(amount) }
        let outcome = try reserve(rows, account: id, replacing: nil, call: call, at: now) { account, available in
            guard account.currency == amount.currency else {
                throw StoreError.currencyMismatch(expected: account.currency, found: amount.currency)
            }
            guard amount <= available.money else { return .refused(available.refusal(requested: amount)) }
            return .reserve(amount: amount, maxDurationSeconds: maxDurationSeconds, duration: nil)
        }
        switch outcome {
        case let .reserved(reservation, _): return .reserved(reservation)
        case let .refused(refusal): return .refused(refusal)
        }
    }

    static func reserveForCall<Rows: BillingRows>(_ rows: Rows, account id: Int64, plan: RatePlan, aLeg: ALegCharge?,
                                                  bNumber: String, limit: Int, call: CallContext,
                                                  replacing existing: Int64?, at now: Date) throws -> CallReservationOutcome {
        let bRate = try plan.rate(for: bNumber)
        let aRate = try aLeg.flatMap { plan.chargesALeg ? try plan.rate(for: $0.number) : nil }
        return try reserve(rows, account: id, replacing: existing, call: call, at: now) { account, available in
            guard account.currency == plan.currency else {
                throw StoreError.currencyMismatch(expected: account.currency, found: plan.currency)
            }
            let duration = try MaximumDuration.compute(
                freeBalance: available.money, aLeg: aRate, aLegElapsedSeconds: aLeg?.elapsedSeconds ?? 0,
                bLeg: bRate, limit: limit)
            guard duration.seconds > 0 else {
                // Not even the first increment (and fees) is affordable, with the A leg's
                // cost up to then when it is charged.
                let firstIncrement = try bRate.cost(answeredSeconds: 1)
                let aLegCost = try aRate?.cost(answeredSeconds: (aLeg?.elapsedSeconds ?? 0) + 1) ?? .zero(plan.currency)
                return .refused(available.refusal(requested: try firstIncrement.adding(aLegCost)))
            }
            return .reserve(amount: duration.totalCost, maxDurationSeconds: duration.seconds, duration: duration)
        }
    }

    static func openLeg<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, _ new: NewCallLeg) throws -> CallLeg {
        guard let first = try rows.reservation(id) else { throw StoreError.unknownReservation(id) }
        _ = try rows.lockAccount(first.accountID)
        guard let reservation = try rows.reservation(id) else { throw StoreError.unknownReservation(id) }
        // A B leg is granted the reservation's talk time; an A leg opened this way was up
        // before the reservation was sized, so it carries no grant.
        return try insertLeg(rows, reservation: reservation, new,
                             grantedSeconds: new.leg == .b ? reservation.maxDurationSeconds : nil)
    }

    /// Opens a leg under an open reservation.
    static func insertLeg<Rows: BillingRows>(_ rows: Rows, reservation: Reservation, _ new: NewCallLeg,
                                             grantedSeconds: Int?, answeredAt: Date? = nil) throws -> CallLeg {
        guard let id = reservation.id else { throw StoreError.unknownReservation(0) }
        guard reservation.state == .open else { throw StoreError.reservationAlreadySettled(id) }
        if let rate = new.rate, rate.currency != reservation.currency {
            throw StoreError.currencyMismatch(expected: reservation.currency, found: rate.currency)
        }
        return try rows.insert(CallLeg(
            id: nil, accountID: reservation.accountID, reservationID: id, campaign: reservation.campaign,
            trigger: reservation.trigger, leg: new.leg, fromNumber: new.fromNumber, toNumber: new.toNumber,
            startedAt: new.startedAt, answeredAt: answeredAt, lastProgressAt: answeredAt, endedAt: nil,
            ratePrefix: new.rate?.prefix, ratePerMinuteMinorUnits: new.rate?.perMinute.minorUnits,
            connectionFeeMinorUnits: new.rate?.connectionFee.minorUnits,
            firstIncrement: new.rate?.increments.first, followingIncrement: new.rate?.increments.following,
            charged: new.charged && new.rate != nil, billedSeconds: 0, costMinorUnits: 0,
            currency: reservation.currency, disposition: .inProgress, sipCause: nil, isOpen: true,
            grantedSeconds: grantedSeconds))
    }

    /// Reservation `id` after locking its account: open, or `reservationAlreadySettled`.
    /// (Read again once the lock is held: another node may have settled it meanwhile.)
    @discardableResult
    static func lockedOpenReservation<Rows: BillingRows>(_ rows: Rows, _ id: Int64) throws -> (Reservation, Account) {
        guard let first = try rows.reservation(id) else { throw StoreError.unknownReservation(id) }
        guard let account = try rows.lockAccount(first.accountID) else {
            throw StoreError.unknownAccount("#\(first.accountID)")
        }
        guard let reservation = try rows.reservation(id) else { throw StoreError.unknownReservation(id) }
        guard reservation.state == .open else { throw StoreError.reservationAlreadySettled(id) }
        return (reservation, account)
    }

    static func settleLeg<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, _ ending: LegEnding,
                                             at now: Date) throws -> Settlement {
        var (reservation, account) = try lockedOpenReservation(rows, id)
        guard var leg = try rows.callLeg(ending.legID) else { throw StoreError.unknownCallLeg(ending.legID) }
        // A leg settled alone before has left for its own reservation: say so first.
        guard leg.isOpen else { throw LegSettlementError.legAlreadyClosed(ending.legID) }
        guard leg.reservationID == id else { throw StoreError.legNotInReservation(leg: ending.legID, reservation: id) }
        close(&leg, ending)
        try price(&leg, maxDurationSeconds: reservation.maxDurationSeconds)
        // The leg leaves the shared reservation for one of its own, settled at once:
        // every reservation keeps at most one ledger entry (`ledgerEntry.reservationID`
        // is unique, the guard against charging a reservation twice).
        let own = try rows.save(Reservation(
            id: nil, accountID: reservation.accountID, amountMinorUnits: leg.costMinorUnits,
            currency: reservation.currency, maxDurationSeconds: reservation.maxDurationSeconds,
            campaign: reservation.campaign, trigger: reservation.trigger, state: .settled,
            chargedMinorUnits: leg.costMinorUnits, createdAt: reservation.createdAt, settledAt: now))
        leg.reservationID = own.id
        leg.isOpen = false
        try rows.update(leg)
        var balanceAfter = account.balanceMinorUnits
        if leg.costMinorUnits != 0 {
            let entry = try rows.applyBalanceChange(
                account: account, delta: -leg.costMinorUnits, kind: .call, reservationID: own.id,
                note: "\(leg.leg.rawValue) leg of reservation \(id)", at: now)
            balanceAfter = entry.balanceAfterMinorUnits
            account.balanceMinorUnits = balanceAfter
            // Spent now, so no longer held by the reservation the other legs keep.
            reservation.amountMinorUnits = max(0, reservation.amountMinorUnits - leg.costMinorUnits)
            reservation = try rows.save(reservation)
        }
        return Settlement(reservation: own, legs: [leg],
                          charged: Money(minorUnits: leg.costMinorUnits, currency: reservation.currency),
                          balanceAfter: Money(minorUnits: balanceAfter, currency: account.currency))
    }

    // MARK: - Reservation

    /// Money an account can still commit: the free balance, or less under a daily limit.
    struct Available {
        var money: Money
        var free: Money
        /// Set when the daily limit, not the balance, is what bounds `money`.
        var dailyLimit: (limit: Money, spentAndReserved: Money)?

        func refusal(requested: Money) -> ReservationRefusal {
            if let dailyLimit, dailyLimit.limit - dailyLimit.spentAndReserved < free {
                return .dailySpendLimitReached(limit: dailyLimit.limit, spentAndReserved: dailyLimit.spentAndReserved)
            }
            return .insufficientFunds(free: free, requested: requested)
        }
    }

    enum ReservationDecision {
        case reserve(amount: Money, maxDurationSeconds: Int?, duration: MaximumDuration?)
        case refused(ReservationRefusal)
    }

    /// Locks the account, checks state and concurrency, works out what is available, asks
    /// `decide` how much to set aside, and inserts (or, with `replacing`, resizes) the
    /// reservation.
    static func reserve<Rows: BillingRows>(_ rows: Rows, account id: Int64, replacing existing: Int64?, call: CallContext,
                                           at now: Date,
                                           decide: (Account, Available) throws -> ReservationDecision) throws
        -> CallReservationOutcome {
        guard let account = try rows.lockAccount(id) else { throw StoreError.unknownAccount("#\(id)") }
        guard account.state == .active else { return .refused(.accountLocked) }
        let open = try rows.openReservations(account: id)
        var replaced: Reservation?
        if let existing {
            guard let reservation = open.first(where: { $0.id == existing }) else {
                throw try rows.reservation(existing) == nil
                    ? StoreError.unknownReservation(existing) : StoreError.reservationAlreadySettled(existing)
            }
            replaced = reservation
        } else if account.maxConcurrentCalls > 0, open.count >= account.maxConcurrentCalls {
            return .refused(.concurrencyLimitReached(limit: account.maxConcurrentCalls))
        }
        // The reservation being resized does not count against itself.
        let reserved = open.filter { $0.id != existing }.reduce(Int64(0)) { $0 + $1.amountMinorUnits }
        let free = Money(minorUnits: account.balanceMinorUnits - reserved, currency: account.currency)
        var available = Available(money: free, free: free, dailyLimit: nil)
        if let limit = account.dailySpendLimitMinorUnits {
            let committed = try rows.callSpending(account: id, since: startOfUTCDay(now)) + reserved
            let headroom = Money(minorUnits: limit - committed, currency: account.currency)
            available.dailyLimit = (Money(minorUnits: limit, currency: account.currency),
                                    Money(minorUnits: committed, currency: account.currency))
            if headroom < available.money { available.money = headroom }
        }
        switch try decide(account, available) {
        case let .refused(refusal):
            return .refused(refusal)
        case let .reserve(amount, maxDurationSeconds, duration):
            var reservation = replaced ?? Reservation(
                id: nil, accountID: id, amountMinorUnits: 0, currency: account.currency, maxDurationSeconds: nil,
                campaign: call.campaign, trigger: call.trigger, state: .open, chargedMinorUnits: nil,
                createdAt: now, settledAt: nil)
            reservation.amountMinorUnits = amount.minorUnits
            reservation.maxDurationSeconds = maxDurationSeconds
            return .reserved(try rows.save(reservation), duration)
        }
    }

    // MARK: - Settlement

    /// Closes the legs, prices them, charges the account and closes the reservation.
    static func settle<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, endings: [LegEnding], at now: Date,
                                          recovering: Bool) throws -> Settlement {
        var (reservation, account) = try lockedOpenReservation(rows, id)
        let endingsByLeg = Dictionary(endings.map { ($0.legID, $0) }, uniquingKeysWith: { _, last in last })
        let legs = try rows.legs(reservation: id)
        for legID in endingsByLeg.keys where !legs.contains(where: { $0.id == legID }) {
            throw try rows.callLeg(legID) == nil
                ? StoreError.unknownCallLeg(legID)
                : StoreError.legNotInReservation(leg: legID, reservation: id)
        }
        var closed: [CallLeg] = []
        var total: Int64 = 0
        for var leg in legs {
            if leg.isOpen {
                if let ending = endingsByLeg[leg.id!] {
                    close(&leg, ending)
                } else if recovering {
                    // What was recorded: the last heartbeat, else the answer, else nothing.
                    leg.endedAt = leg.lastProgressAt ?? leg.answeredAt ?? leg.startedAt
                    leg.disposition = .interrupted
                } else {
                    leg.endedAt = max(now, leg.answeredAt ?? leg.startedAt)
                    leg.disposition = leg.answeredAt == nil ? .cancelled : .answered
                }
                try price(&leg, maxDurationSeconds: reservation.maxDurationSeconds)
                leg.isOpen = false
                try rows.update(leg)
            }
            total += leg.costMinorUnits
            closed.append(leg)
        }
        reservation.state = .settled
        reservation.chargedMinorUnits = total
        reservation.settledAt = now
        reservation = try rows.save(reservation)
        var balanceAfter = account.balanceMinorUnits
        if total != 0 {
            let entry = try rows.applyBalanceChange(
                account: account, delta: -total, kind: .call, reservationID: id,
                note: recovering ? "recovered after restart" : nil, at: now)
            balanceAfter = entry.balanceAfterMinorUnits
            account.balanceMinorUnits = balanceAfter
        }
        return Settlement(reservation: reservation, legs: closed,
                          charged: Money(minorUnits: total, currency: reservation.currency),
                          balanceAfter: Money(minorUnits: balanceAfter, currency: account.currency))
    }

    /// Recovery of one reservation: settled from what was recorded, or nil when it was
    /// settled meanwhile (by its call, or by another node recovering it).
    static func recover<Rows: BillingRows>(_ rows: Rows, reservation id: Int64, at now: Date) throws -> Settlement? {
        do {
            return try settle(rows, reservation: id, endings: [], at: now, recovering: true)
        } catch StoreError.reservationAlreadySettled(let settled) where settled == id {
            return nil
        }
    }

    /// Ends an open leg as reported (never before its answer or start).
    static func close(_ leg: inout CallLeg, _ ending: LegEnding) {
        leg.endedAt = max(ending.endedAt, leg.answeredAt ?? leg.startedAt)
        leg.disposition = ending.disposition
        leg.sipCause = ending.sipCause
    }

    /// Sets billed seconds and cost from the leg's recorded rate.
    ///
    /// Answered seconds are `endedAt − answeredAt` rounded to the nearest second. No leg is
    /// billed beyond its granted seconds (the access leg included): the call was to be cut
    /// there, and a late hang-up (timer jitter, a lost BYE) must not charge beyond what was
    /// reserved for it.
    static func price(_ leg: inout CallLeg, maxDurationSeconds: Int?) throws {
        guard let answeredAt = leg.answeredAt, let endedAt = leg.endedAt else {
            leg.billedSeconds = 0
            leg.costMinorUnits = 0
            return
        }
        var answered = Int(max(0, endedAt.timeIntervalSince(answeredAt)).rounded(.toNearestOrAwayFromZero))
        if let granted = leg.grantedSeconds {
            answered = min(answered, granted)
        } else if leg.leg == .b, let maxDurationSeconds {
            // Legs written before migration v6 carry no grant: the reservation's bound.
            answered = min(answered, maxDurationSeconds)
        }
        guard let rate = leg.rate else {
            leg.billedSeconds = answered
            leg.costMinorUnits = 0
            return
        }
        leg.billedSeconds = rate.increments.billedSeconds(forAnswered: answered)
        leg.costMinorUnits = leg.charged ? try rate.cost(billedSeconds: leg.billedSeconds).minorUnits : 0
    }

    static func startOfUTCDay(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.startOfDay(for: date)
    }
}
