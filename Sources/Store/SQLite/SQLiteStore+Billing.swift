import Billing
import Foundation
import GRDB

extension SQLiteStore: BillingStore {
    public func freeBalance(account id: Int64) throws -> Money {
        try writer.read { db in
            guard let account = try Account.fetchOne(db, key: id) else { throw StoreError.unknownAccount("#\(id)") }
            return Money(minorUnits: account.balanceMinorUnits - (try Self.reservedMinorUnits(db, account: id)),
                         currency: account.currency)
        }
    }

    // MARK: - Intents: each one write transaction that leaves the money consistent

    public func openAccessLeg(_ request: AccessLegRequest, at now: Date) throws -> AccessLegOutcome {
        // Rated first: an access number the plan lacks throws `RateError.noRate` before any write.
        let rate = try request.plan.rate(for: request.accessNumber)
        return try writer.write { db in
            let outcome = try Self.reserveForCall(
                db: db, account: request.accountID, plan: request.plan, aLeg: nil, bNumber: request.accessNumber,
                limit: request.limit, call: request.call, replacing: nil, at: now)
            switch outcome {
            case let .refused(refusal):
                let cdr = try Self.insertUnbilledLeg(db: db, UnbilledCallLeg(
                    accountID: request.accountID, campaign: request.call.campaign, trigger: request.call.trigger,
                    leg: .a, fromNumber: request.caller, toNumber: request.accessNumber, startedAt: request.startedAt,
                    answeredAt: request.answeredAt, endedAt: now, disposition: .outOfCredit,
                    // Never placed (reserved before its INVITE): no SIP answer to name.
                    sipCause: request.answeredAt == nil ? nil : 200))
                return .refused(refusal, cdr: cdr)
            case let .reserved(reservation, duration):
                let seconds = duration?.seconds ?? 0
                let leg = try Self.insertLeg(
                    db: db, reservation: reservation,
                    NewCallLeg(leg: .a, fromNumber: request.caller, toNumber: request.accessNumber,
                               startedAt: request.startedAt, rate: rate, charged: true),
                    grantedSeconds: seconds, answeredAt: request.answeredAt)
                return .opened(LegGrant(reservation: reservation, leg: leg, grantedSeconds: seconds))
            }
        }
    }

    public func openForward(_ request: ForwardRequest, at now: Date) throws -> ForwardOutcome {
        let rate = try request.plan.rate(for: request.number)
        return try writer.write { db in
            var accessLeg: CallLeg?
            var aLeg: ALegCharge?
            if let share = request.accessLeg {
                guard let leg = try CallLeg.fetchOne(db, key: share.legID) else { throw StoreError.unknownCallLeg(share.legID) }
                guard leg.reservationID == share.reservationID else {
                    throw StoreError.legNotInReservation(leg: share.legID, reservation: share.reservationID)
                }
                guard leg.isOpen else { throw LegSettlementError.legAlreadyClosed(share.legID) }
                accessLeg = leg
                aLeg = ALegCharge(number: leg.toNumber, elapsedSeconds: max(0, share.elapsedSeconds))
            }
            let outcome = try Self.reserveForCall(
                db: db, account: request.accountID, plan: request.plan, aLeg: aLeg, bNumber: request.number,
                limit: request.limit, call: request.call, replacing: request.accessLeg?.reservationID, at: now)
            switch outcome {
            case let .refused(refusal):
                // `reserve` wrote nothing before refusing.
                return .refused(refusal)
            case let .reserved(reservation, duration):
                let seconds = duration?.seconds ?? 0
                let leg = try Self.insertLeg(
                    db: db, reservation: reservation,
                    NewCallLeg(leg: .b, fromNumber: request.callerID, toNumber: request.number, startedAt: now,
                               rate: rate, charged: true),
                    grantedSeconds: seconds)
                var accessLegSeconds: Int?
                if var accessLeg, let aLeg {
                    // The reservation now pays for the access leg up to its elapsed time (ring
                    // included) plus the B leg's talk: that is where the access leg is cut.
                    accessLeg.grantedSeconds = aLeg.elapsedSeconds + seconds
                    try accessLeg.update(db)
                    accessLegSeconds = accessLeg.grantedSeconds
                }
                return .opened(LegGrant(reservation: reservation, leg: leg, grantedSeconds: seconds),
                               accessLegSeconds: accessLegSeconds)
            }
        }
    }

    public func resizeAccessLeg(reservation id: Int64, leg legID: Int64, plan: RatePlan, limit: Int,
                                at now: Date) throws -> AccessLegResize {
        try writer.write { db in
            guard let leg = try CallLeg.fetchOne(db, key: legID) else { throw StoreError.unknownCallLeg(legID) }
            guard leg.reservationID == id else { throw StoreError.legNotInReservation(leg: legID, reservation: id) }
            guard leg.isOpen else { throw LegSettlementError.legAlreadyClosed(legID) }
            return try Self.resizeAccessLeg(db: db, reservation: id, leg: leg, plan: plan, limit: limit, at: now)
        }
    }

    public func closeForward(reservation id: Int64, _ ending: LegEnding, accessLegPlan: RatePlan?,
                             at now: Date) throws -> ForwardClosing {
        try writer.write { db in
            guard let reservation = try Reservation.fetchOne(db, key: id) else { throw StoreError.unknownReservation(id) }
            guard reservation.state == .open else { throw StoreError.reservationAlreadySettled(id) }
            let others = try CallLeg
                .filter(CallLeg.SQLColumns.reservationID == id && CallLeg.SQLColumns.isOpen == true && Column("id") != ending.legID)
                .order(Column("id")).fetchAll(db)
            guard !others.isEmpty else {
                // The forward's own reservation: settled whole, the rest released.
                let settlement = try Self.settle(db: db, reservation: id, endings: [ending], at: now, recovering: false)
                return ForwardClosing(settlement: settlement, accessLeg: nil)
            }
            let settlement = try Self.settleLeg(db: db, reservation: id, ending, at: now)
            var resize: AccessLegResize?
            if let plan = accessLegPlan, let accessLeg = others.first(where: { $0.leg == .a }) {
                resize = try Self.resizeAccessLeg(db: db, reservation: id, leg: accessLeg, plan: plan, at: now)
            }
            return ForwardClosing(settlement: settlement, accessLeg: resize)
        }
    }

    /// Resizes reservation `id` to what its access leg alone may cost from its answer, and
    /// grants the leg that time. Inside the caller's write transaction.
    static func resizeAccessLeg(db: Database, reservation id: Int64, leg: CallLeg, plan: RatePlan,
                                limit: Int = MaximumDuration.defaultLimit, at now: Date) throws -> AccessLegResize {
        guard let reservation = try Reservation.fetchOne(db, key: id) else { throw StoreError.unknownReservation(id) }
        let outcome = try reserveForCall(
            db: db, account: reservation.accountID, plan: plan, aLeg: nil, bNumber: leg.toNumber,
            limit: min(max(0, limit), MaximumDuration.defaultLimit),
            call: CallContext(campaign: reservation.campaign, trigger: reservation.trigger), replacing: id, at: now)
        switch outcome {
        case let .refused(refusal):
            return .refused(refusal)
        case let .reserved(resized, duration):
            var leg = leg
            leg.grantedSeconds = duration?.seconds ?? 0
            try leg.update(db)
            return .resized(resized, grantedSeconds: leg.grantedSeconds ?? 0)
        }
    }

    // MARK: - Steps

    public func reserve(account id: Int64, amount: Money, maxDurationSeconds: Int?, call: CallContext,
                        at now: Date) throws -> ReservationOutcome {
        guard amount.minorUnits >= 0 else { throw StoreError.nonPositiveAmount(amount) }
        let outcome = try writer.write { db in
            try Self.reserve(db: db, account: id, replacing: nil, call: call, at: now) { account, available in
                guard account.currency == amount.currency else {
                    throw StoreError.currencyMismatch(expected: account.currency, found: amount.currency)
                }
                guard amount <= available.money else { return .refused(available.refusal(requested: amount)) }
                return .reserve(amount: amount, maxDurationSeconds: maxDurationSeconds, duration: nil)
            }
        }
        switch outcome {
        case let .reserved(reservation, _): return .reserved(reservation)
        case let .refused(refusal): return .refused(refusal)
        }
    }

    public func reserveForCall(account id: Int64, plan: RatePlan, aLeg: ALegCharge?, bNumber: String,
                               limit: Int, call: CallContext, replacing existing: Int64?,
                               at now: Date) throws -> CallReservationOutcome {
        // Rates first: an unserved destination throws `RateError.noRate` before any write.
        _ = try plan.rate(for: bNumber)
        return try writer.write { db in
            try Self.reserveForCall(db: db, account: id, plan: plan, aLeg: aLeg, bNumber: bNumber, limit: limit,
                                    call: call, replacing: existing, at: now)
        }
    }

    /// `reserveForCall`, inside the caller's write transaction.
    static func reserveForCall(db: Database, account id: Int64, plan: RatePlan, aLeg: ALegCharge?, bNumber: String,
                               limit: Int, call: CallContext, replacing existing: Int64?,
                               at now: Date) throws -> CallReservationOutcome {
        let bRate = try plan.rate(for: bNumber)
        let aRate = try aLeg.flatMap { plan.chargesALeg ? try plan.rate(for: $0.number) : nil }
        return try Self.reserve(db: db, account: id, replacing: existing, call: call, at: now) { account, available in
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

    public func openReservations(account id: Int64) throws -> [Reservation] {
        try writer.read { db in
            try Reservation
                .filter(Reservation.SQLColumns.accountID == id && Reservation.SQLColumns.state == Reservation.State.open.rawValue)
                .order(Column("id")).fetchAll(db)
        }
    }

    public func openLeg(reservation id: Int64, _ new: NewCallLeg) throws -> CallLeg {
        try writer.write { db in
            guard let reservation = try Reservation.fetchOne(db, key: id) else { throw StoreError.unknownReservation(id) }
            // A B leg is granted the reservation's talk time; an A leg opened this way was up
            // before the reservation was sized, so it carries no grant.
            return try Self.insertLeg(db: db, reservation: reservation, new,
                                      grantedSeconds: new.leg == .b ? reservation.maxDurationSeconds : nil)
        }
    }

    /// Opens a leg under an open reservation, inside the caller's write transaction.
    static func insertLeg(db: Database, reservation: Reservation, _ new: NewCallLeg, grantedSeconds: Int?,
                          answeredAt: Date? = nil) throws -> CallLeg {
        guard let id = reservation.id else { throw StoreError.unknownReservation(0) }
        guard reservation.state == .open else { throw StoreError.reservationAlreadySettled(id) }
        if let rate = new.rate, rate.currency != reservation.currency {
            throw StoreError.currencyMismatch(expected: reservation.currency, found: rate.currency)
        }
        var leg = CallLeg(
            id: nil, accountID: reservation.accountID, reservationID: id, campaign: reservation.campaign,
            trigger: reservation.trigger, leg: new.leg, fromNumber: new.fromNumber, toNumber: new.toNumber,
            startedAt: new.startedAt, answeredAt: answeredAt, lastProgressAt: answeredAt, endedAt: nil,
            ratePrefix: new.rate?.prefix, ratePerMinuteMinorUnits: new.rate?.perMinute.minorUnits,
            connectionFeeMinorUnits: new.rate?.connectionFee.minorUnits,
            firstIncrement: new.rate?.increments.first, followingIncrement: new.rate?.increments.following,
            charged: new.charged && new.rate != nil, billedSeconds: 0, costMinorUnits: 0,
            currency: reservation.currency, disposition: .inProgress, sipCause: nil, isOpen: true,
            grantedSeconds: grantedSeconds)
        try leg.insert(db)
        return leg
    }

    public func recordAnswer(leg id: Int64, at time: Date) throws {
        try writer.write { db in
            guard var leg = try CallLeg.fetchOne(db, key: id) else { throw StoreError.unknownCallLeg(id) }
            guard leg.isOpen, leg.answeredAt == nil else { return }
            leg.answeredAt = time
            leg.lastProgressAt = time
            try leg.update(db)
        }
    }

    public func recordProgress(legs ids: [Int64], at time: Date) throws {
        guard !ids.isEmpty else { return }
        try writer.write { db in
            _ = try CallLeg
                .filter(ids.contains(Column("id")) && CallLeg.SQLColumns.isOpen == true && Column("answeredAt") != nil)
                .updateAll(db, Column("lastProgressAt").set(to: time))
        }
    }

    public func settle(reservation id: Int64, endings: [LegEnding], at now: Date) throws -> Settlement {
        try writer.write { db in try Self.settle(db: db, reservation: id, endings: endings, at: now, recovering: false) }
    }

    public func settleLeg(reservation id: Int64, _ ending: LegEnding, at now: Date) throws -> Settlement {
        try writer.write { db in try Self.settleLeg(db: db, reservation: id, ending, at: now) }
    }

    /// `settleLeg`, inside the caller's write transaction.
    static func settleLeg(db: Database, reservation id: Int64, _ ending: LegEnding, at now: Date) throws -> Settlement {
        guard var reservation = try Reservation.fetchOne(db, key: id) else { throw StoreError.unknownReservation(id) }
        guard reservation.state == .open else { throw StoreError.reservationAlreadySettled(id) }
        guard var leg = try CallLeg.fetchOne(db, key: ending.legID) else { throw StoreError.unknownCallLeg(ending.legID) }
        // A leg settled alone before has left for its own reservation: say so first.
        guard leg.isOpen else { throw LegSettlementError.legAlreadyClosed(ending.legID) }
        guard leg.reservationID == id else { throw StoreError.legNotInReservation(leg: ending.legID, reservation: id) }
        guard let account = try Account.fetchOne(db, key: reservation.accountID) else {
            throw StoreError.unknownAccount("#\(reservation.accountID)")
        }
        Self.close(&leg, ending)
        try price(&leg, maxDurationSeconds: reservation.maxDurationSeconds)
        // The leg leaves the shared reservation for one of its own, settled at once:
        // every reservation keeps at most one ledger entry (`ledgerEntry.reservationID`
        // is unique, the guard against charging a reservation twice).
        var own = Reservation(
            id: nil, accountID: reservation.accountID, amountMinorUnits: leg.costMinorUnits,
            currency: reservation.currency, maxDurationSeconds: reservation.maxDurationSeconds,
            campaign: reservation.campaign, trigger: reservation.trigger, state: .settled,
            chargedMinorUnits: leg.costMinorUnits, createdAt: reservation.createdAt, settledAt: now)
        try own.insert(db)
        leg.reservationID = own.id
        leg.isOpen = false
        try leg.update(db)
        var balanceAfter = account.balanceMinorUnits
        if leg.costMinorUnits != 0 {
            let entry = try SQLiteStore.applyBalanceChange(
                db: db, account: account, delta: -leg.costMinorUnits, kind: .call, reservationID: own.id,
                note: "\(leg.leg.rawValue) leg of reservation \(id)", at: now)
            balanceAfter = entry.balanceAfterMinorUnits
            // Spent now, so no longer held by the reservation the other legs keep.
            reservation.amountMinorUnits = max(0, reservation.amountMinorUnits - leg.costMinorUnits)
            try reservation.update(db)
        }
        return Settlement(reservation: own, legs: [leg],
                          charged: Money(minorUnits: leg.costMinorUnits, currency: reservation.currency),
                          balanceAfter: Money(minorUnits: balanceAfter, currency: account.currency))
    }

    public func recoverOpenLegs(at now: Date) throws -> [Settlement] {
        let ids = try writer.read { db in
            try Int64.fetchAll(db, sql: "SELECT id FROM reservation WHERE state = 'open' ORDER BY id")
        }
        var settlements: [Settlement] = []
        for id in ids {
            // One transaction per reservation; a reservation settled meanwhile is skipped.
            let settlement: Settlement? = try writer.write { db in
                guard let reservation = try Reservation.fetchOne(db, key: id), reservation.state == .open else { return nil }
                return try Self.settle(db: db, reservation: id, endings: [], at: now, recovering: true)
            }
            if let settlement { settlements.append(settlement) }
        }
        return settlements
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

    /// Checks state and concurrency, works out what is available, asks `decide` how much to
    /// set aside, and inserts (or, with `replacing`, resizes) the reservation. Runs inside
    /// the caller's write transaction, so nothing can change between the checks and the write.
    static func reserve(db: Database, account id: Int64, replacing existing: Int64?, call: CallContext, at now: Date,
                        decide: (Account, Available) throws -> ReservationDecision) throws -> CallReservationOutcome {
        guard let account = try Account.fetchOne(db, key: id) else { throw StoreError.unknownAccount("#\(id)") }
        guard account.state == .active else { return .refused(.accountLocked) }
        let open = try Reservation
            .filter(Reservation.SQLColumns.accountID == id && Reservation.SQLColumns.state == Reservation.State.open.rawValue)
            .fetchAll(db)
        var replaced: Reservation?
        if let existing {
            guard let reservation = open.first(where: { $0.id == existing }) else {
                throw try Reservation.fetchOne(db, key: existing) == nil
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
            let committed = try callSpending(db, account: id, since: startOfUTCDay(now)) + reserved
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
            try reservation.save(db)
            return .reserved(reservation, duration)
        }
    }

    // MARK: - Settlement

    /// Closes the legs, prices them, charges the account and closes the reservation.
    /// Runs inside the caller's write transaction.
    static func settle(db: Database, reservation id: Int64, endings: [LegEnding], at now: Date,
                       recovering: Bool) throws -> Settlement {
        guard var reservation = try Reservation.fetchOne(db, key: id) else { throw StoreError.unknownReservation(id) }
        guard reservation.state == .open else { throw StoreError.reservationAlreadySettled(id) }
        guard let account = try Account.fetchOne(db, key: reservation.accountID) else {
            throw StoreError.unknownAccount("#\(reservation.accountID)")
        }
        let endingsByLeg = Dictionary(endings.map { ($0.legID, $0) }, uniquingKeysWith: { _, last in last })
        let legs = try CallLeg.filter(CallLeg.SQLColumns.reservationID == id).order(Column("id")).fetchAll(db)
        for legID in endingsByLeg.keys where !legs.contains(where: { $0.id == legID }) {
            throw try CallLeg.fetchOne(db, key: legID) == nil
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
                try leg.update(db)
            }
            total += leg.costMinorUnits
            closed.append(leg)
        }
        reservation.state = .settled
        reservation.chargedMinorUnits = total
        reservation.settledAt = now
        try reservation.update(db)
        var balanceAfter = account.balanceMinorUnits
        if total != 0 {
            let entry = try SQLiteStore.applyBalanceChange(
                db: db, account: account, delta: -total, kind: .call, reservationID: id,
                note: recovering ? "recovered after restart" : nil, at: now)
            balanceAfter = entry.balanceAfterMinorUnits
        }
        return Settlement(reservation: reservation, legs: closed,
                          charged: Money(minorUnits: total, currency: reservation.currency),
                          balanceAfter: Money(minorUnits: balanceAfter, currency: account.currency))
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

    // MARK: - Queries

    static func reservedMinorUnits(_ db: Database, account id: Int64) throws -> Int64 {
        try Int64.fetchOne(db, sql: """
            SELECT COALESCE(SUM(amountMinorUnits), 0) FROM reservation WHERE accountID = ? AND state = 'open'
            """, arguments: [id]) ?? 0
    }

    /// Money charged for calls since `start` (a positive number).
    static func callSpending(_ db: Database, account id: Int64, since start: Date) throws -> Int64 {
        -(try Int64.fetchOne(db, sql: """
            SELECT COALESCE(SUM(amountMinorUnits), 0) FROM ledgerEntry
            WHERE accountID = ? AND kind = 'call' AND createdAt >= ?
            """, arguments: [id, start]) ?? 0)
    }

    static func startOfUTCDay(_ date: Date) -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar.startOfDay(for: date)
    }
}
