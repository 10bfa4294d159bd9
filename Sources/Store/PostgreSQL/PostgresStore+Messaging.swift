import Foundation
import PostgresNIO

extension PostgresStore: SMSOutboxStore {
    public func enqueueSMS(gateway: String, sender: String, recipient: String, text: String, account: Int64?,
                           at now: Date) throws -> OutboundSMS {
        try read { db in
            guard let sms = try db.fetchOne("""
                INSERT INTO smsOutbox (gateway, sender, recipient, text, accountID, state, attempts, nextAttemptAt, createdAt)
                VALUES (\(gateway), \(sender), \(recipient), \(text), \(account), \(OutboundSMS.State.pending.rawValue), 0,
                        \(now), \(now))
                RETURNING \(unescaped: OutboundSMS.pgColumns)
                """, OutboundSMS.init(pgRow:)) else { throw StoreError.corruptRow("smsOutbox insert returned no row") }
            return sms
        }
    }

    public func dueSMS(at now: Date, limit: Int) throws -> [OutboundSMS] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: OutboundSMS.pgColumns) FROM smsOutbox
                WHERE state = \(OutboundSMS.State.pending.rawValue) AND nextAttemptAt <= \(now)
                ORDER BY nextAttemptAt, id LIMIT \(max(0, limit))
                """, OutboundSMS.init(pgRow:))
        }
    }

    public func nextSMSDue() throws -> Date? {
        try read { db in
            try db.scalar("SELECT min(nextAttemptAt) FROM smsOutbox WHERE state = \(OutboundSMS.State.pending.rawValue)",
                          as: PostgresStoredDate?.self)??.date
        }
    }

    public func markSMSSent(id: Int64, at now: Date) throws {
        try read { db in
            guard try db.execute("""
                UPDATE smsOutbox SET state = \(OutboundSMS.State.sent.rawValue), attempts = attempts + 1, sentAt = \(now),
                                     lastError = NULL
                WHERE id = \(id)
                """) > 0 else { throw StoreError.corruptRow("smsOutbox #\(id) is missing") }
        }
    }

    public func markSMSAttemptFailed(id: Int64, error: String, retryAt: Date?, at now: Date) throws {
        try read { db in
            let changed: Int
            if let retryAt {
                changed = try db.execute("""
                    UPDATE smsOutbox SET attempts = attempts + 1, lastError = \(error), nextAttemptAt = \(retryAt) WHERE id = \(id)
                    """)
            } else {
                changed = try db.execute("""
                    UPDATE smsOutbox SET attempts = attempts + 1, lastError = \(error),
                                         state = \(OutboundSMS.State.failed.rawValue)
                    WHERE id = \(id)
                    """)
            }
            guard changed > 0 else { throw StoreError.corruptRow("smsOutbox #\(id) is missing") }
        }
    }

    public func outboundSMS(id: Int64) throws -> OutboundSMS? {
        try read { db in
            try db.fetchOne("SELECT \(unescaped: OutboundSMS.pgColumns) FROM smsOutbox WHERE id = \(id)", OutboundSMS.init(pgRow:))
        }
    }

    public func outboundSMS(recipient: String?) throws -> [OutboundSMS] {
        try read { db in
            if let recipient {
                return try db.fetchAll("""
                    SELECT \(unescaped: OutboundSMS.pgColumns) FROM smsOutbox WHERE recipient = \(recipient) ORDER BY id
                    """, OutboundSMS.init(pgRow:))
            }
            return try db.fetchAll("SELECT \(unescaped: OutboundSMS.pgColumns) FROM smsOutbox ORDER BY id", OutboundSMS.init(pgRow:))
        }
    }
}

extension PostgresStore: CDRStore {
    public func callLegs(since: Date?, account id: Int64?) throws -> [CallLeg] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: CallLeg.pgColumns) FROM callLeg
                WHERE (\(since)::TIMESTAMPTZ IS NULL OR startedAt >= \(since))
                  AND (\(id)::BIGINT IS NULL OR accountID = \(id))
                ORDER BY startedAt, id
                """, CallLeg.init(pgRow:))
        }
    }

    public func callLegPage(account id: Int64?, newestFirst: Bool, offset: Int, limit: Int) throws -> CallLegPage {
        try read { db in
            let total = try db.scalar("""
                SELECT count(*) FROM callLeg WHERE (\(id)::BIGINT IS NULL OR accountID = \(id))
                """, as: Int64.self) ?? 0
            let order = newestFirst ? "startedAt DESC, id DESC" : "startedAt, id"
            let legs = try db.fetchAll("""
                SELECT \(unescaped: CallLeg.pgColumns) FROM callLeg
                WHERE (\(id)::BIGINT IS NULL OR accountID = \(id))
                ORDER BY \(unescaped: order) LIMIT \(Int64(max(0, limit))) OFFSET \(Int64(max(0, offset)))
                """, CallLeg.init(pgRow:))
            return CallLegPage(total: Int(total), items: legs)
        }
    }

    public func recordUnbilledLeg(_ new: UnbilledCallLeg) throws -> CallLeg {
        try transaction { db in try Self.insertUnbilledLeg(db: db, new) }
    }

    /// Inside the caller's transaction.
    static func insertUnbilledLeg(db: PostgresSession, _ new: UnbilledCallLeg) throws -> CallLeg {
        var currency = "EUR"
        if let id = new.accountID {
            guard let account = try account(db, id: id) else { throw StoreError.unknownAccount("#\(id)") }
            currency = account.currency
        }
        guard let leg = try db.fetchOne("""
            INSERT INTO callLeg (accountID, reservationID, campaign, trigger, leg, fromNumber, toNumber, startedAt, answeredAt,
                                 endedAt, charged, billedSeconds, costMinorUnits, currency, disposition, sipCause, isOpen)
            VALUES (\(new.accountID), NULL, \(new.campaign), \(new.trigger), \(new.leg.rawValue), \(new.fromNumber),
                    \(new.toNumber), \(new.startedAt), \(new.answeredAt), \(max(new.endedAt, new.startedAt)), FALSE, 0, 0,
                    \(currency), \(new.disposition.rawValue), \(new.sipCause), FALSE)
            RETURNING \(unescaped: CallLeg.pgColumns)
            """, CallLeg.init(pgRow:)) else { throw StoreError.corruptRow("callLeg insert returned no row") }
        return leg
    }
}

extension PostgresStore: CallbackEventStore {
    public func callbackEvents(request id: Int64, after: Int64?) throws -> [CallbackEvent] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: CallbackEvent.pgColumns) FROM callbackEvent
                WHERE requestID = \(id) AND id > \(after ?? 0) ORDER BY id
                """, CallbackEvent.init(pgRow:))
        }
    }

    public func callbackRequests(account id: Int64, limit: Int) throws -> [CallbackRequest] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: CallbackRequest.pgColumns) FROM callbackRequest
                WHERE accountID = \(id) ORDER BY id DESC LIMIT \(max(0, limit))
                """, CallbackRequest.init(pgRow:))
        }
    }
}

extension PostgresStore: RegistrationBindingStore {
    public func registrationBindings(liveAt now: Date) throws -> [RegistrationBinding] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: RegistrationBinding.pgColumns) FROM registrationBinding
                WHERE expiresAt > \(now) ORDER BY "user", domain, id
                """, RegistrationBinding.init(pgRow:))
        }
    }

    public func registrationBindings(user: String, domain: String, liveAt now: Date) throws -> [RegistrationBinding] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: RegistrationBinding.pgColumns) FROM registrationBinding
                WHERE "user" = \(user) AND domain = \(domain) AND expiresAt > \(now) ORDER BY id
                """, RegistrationBinding.init(pgRow:))
        }
    }

    public func replaceRegistrationBindings(user: String, domain: String, with bindings: [RegistrationBinding]) throws {
        if let stray = bindings.first(where: { $0.user != user || $0.domain != domain }) {
            throw StoreError.bindingOfAnotherAddress(binding: "\(stray.user)@\(stray.domain)", expected: "\(user)@\(domain)")
        }
        try transaction { db in
            try db.execute("DELETE FROM registrationBinding WHERE \"user\" = \(user) AND domain = \(domain)")
            for binding in bindings {
                try db.execute("""
                    INSERT INTO registrationBinding ("user", domain, contact, expiresAt, qThousandths, callID, cseq,
                                                     registeredAt, sourceTransport, sourceHost, sourcePort, userAgent, path)
                    VALUES (\(binding.user), \(binding.domain), \(binding.contact), \(binding.expiresAt), \(binding.qThousandths),
                            \(binding.callID), \(binding.cseq), \(binding.registeredAt), \(binding.sourceTransport),
                            \(binding.sourceHost), \(binding.sourcePort), \(binding.userAgent), \(binding.path))
                    """)
            }
        }
    }

    public func deleteRegistrationBindings(expiredAt now: Date) throws -> Int {
        try read { db in try db.execute("DELETE FROM registrationBinding WHERE expiresAt <= \(now)") }
    }
}
