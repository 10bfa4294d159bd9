import Foundation
import GRDB

extension SQLiteStore: CDRStore {
    public func callLegs(since: Date?, account id: Int64?) throws -> [CallLeg] {
        try writer.read { db in
            var request = CallLeg.order(CallLeg.SQLColumns.startedAt, Column("id"))
            if let since { request = request.filter(CallLeg.SQLColumns.startedAt >= since) }
            if let id { request = request.filter(CallLeg.SQLColumns.accountID == id) }
            return try request.fetchAll(db)
        }
    }

    public func callLegPage(account id: Int64?, newestFirst: Bool, offset: Int, limit: Int) throws -> CallLegPage {
        try writer.read { db in
            var request = CallLeg.all()
            if let id { request = request.filter(CallLeg.SQLColumns.accountID == id) }
            let total = try request.fetchCount(db)
            let order = newestFirst ? [CallLeg.SQLColumns.startedAt.desc, Column("id").desc]
                                    : [CallLeg.SQLColumns.startedAt.asc, Column("id").asc]
            let legs = try request.order(order).limit(max(0, limit), offset: max(0, offset)).fetchAll(db)
            return CallLegPage(total: total, items: legs)
        }
    }

    public func recordUnbilledLeg(_ new: UnbilledCallLeg) throws -> CallLeg {
        try writer.write { db in try Self.insertUnbilledLeg(db: db, new) }
    }

    /// Inside the caller's write transaction.
    static func insertUnbilledLeg(db: Database, _ new: UnbilledCallLeg) throws -> CallLeg {
        var currency = "EUR"
        if let id = new.accountID {
            guard let account = try Account.fetchOne(db, cachedKey: id) else { throw StoreError.unknownAccount("#\(id)") }
            currency = account.currency
        }
        var leg = CallLeg(
            id: nil, accountID: new.accountID, reservationID: nil, campaign: new.campaign, trigger: new.trigger,
            leg: new.leg, fromNumber: new.fromNumber, toNumber: new.toNumber, startedAt: new.startedAt,
            answeredAt: new.answeredAt, lastProgressAt: nil, endedAt: max(new.endedAt, new.startedAt),
            ratePrefix: nil, ratePerMinuteMinorUnits: nil, connectionFeeMinorUnits: nil, firstIncrement: nil,
            followingIncrement: nil, charged: false, billedSeconds: 0, costMinorUnits: 0, currency: currency,
            disposition: new.disposition, sipCause: new.sipCause, isOpen: false, grantedSeconds: nil)
        try leg.insert(db)
        return leg
    }
}
