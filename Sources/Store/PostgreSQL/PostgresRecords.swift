import Billing
import Foundation
import PostgresNIO

// The Store's records read from PostgreSQL rows: each has its column list (`pgColumns`, in
// the order its decoder reads them) and an initialiser from a row selected with that list.
// Column names are those of the SQLite schema (PostgreSQL folds them to lower case).

extension Account {
    static let pgColumns = """
        id, login, passwordHash, sipRealm, sipHA1, sipHA1SHA256, pinHash, pinSalt, pinBucket, balanceMinorUnits, currency,
        ratePlan, forwardNumber, personalDID, forwardMode, forwardAfterSeconds, maxConcurrentCalls,
        dailySpendLimitMinorUnits, state, lotID, createdAt
        """

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "account")
        self.init(id: try reader.next(Int64.self), login: try reader.next(), passwordHash: try reader.next(),
                  sipRealm: try reader.next(), sipHA1: try reader.next(), sipHA1SHA256: try reader.next(),
                  pinHash: try reader.next(String?.self), pinSalt: try reader.next(String?.self),
                  pinBucket: try reader.next(String?.self), balanceMinorUnits: try reader.next(), currency: try reader.next(),
                  ratePlan: try reader.next(String?.self), forwardNumber: try reader.next(String?.self),
                  personalDID: try reader.next(String?.self), forwardMode: try reader.next(ForwardMode.self),
                  forwardAfterSeconds: try reader.next(), maxConcurrentCalls: try reader.next(),
                  dailySpendLimitMinorUnits: try reader.next(Int64?.self), state: try reader.next(AccountState.self),
                  lotID: try reader.next(Int64?.self), createdAt: try reader.next())
    }
}

extension AccountLot {
    static let pgColumns = "id, name, size, createdAt"

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "accountLot")
        self.init(id: try reader.next(Int64.self), name: try reader.next(), size: try reader.next(), createdAt: try reader.next())
    }
}

extension AuthorisedCallerID {
    static let pgColumns = "id, accountID, number, createdAt"

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "authorisedCallerID")
        self.init(id: try reader.next(Int64.self), accountID: try reader.next(), number: try reader.next(),
                  createdAt: try reader.next())
    }
}

extension AddressBookEntry {
    static let pgColumns = "id, accountID, slot, name, number"

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "addressBookEntry")
        self.init(id: try reader.next(Int64.self), accountID: try reader.next(), slot: try reader.next(),
                  name: try reader.next(), number: try reader.next())
    }
}

extension RatePlanRecord {
    static let pgColumns = "id, name, currency, chargesALeg, blockedPrefixes, updatedAt"

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "ratePlan")
        self.init(id: try reader.next(Int64.self), name: try reader.next(), currency: try reader.next(),
                  chargesALeg: try reader.next(), blockedPrefixes: try reader.next(), updatedAt: try reader.next())
    }
}

extension RateRecord {
    static let pgColumns = """
        id, planID, prefix, description, perMinuteMinorUnits, connectionFeeMinorUnits, firstIncrement, followingIncrement
        """

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "rate")
        self.id = try reader.next(Int64.self)
        self.planID = try reader.next()
        self.prefix = try reader.next()
        self.description = try reader.next()
        self.perMinuteMinorUnits = try reader.next()
        self.connectionFeeMinorUnits = try reader.next()
        self.firstIncrement = try reader.next()
        self.followingIncrement = try reader.next()
    }
}

extension LedgerEntry {
    static let pgColumns = "id, accountID, kind, amountMinorUnits, balanceAfterMinorUnits, currency, reservationID, note, createdAt"

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "ledgerEntry")
        self.init(id: try reader.next(Int64.self), accountID: try reader.next(), kind: try reader.next(Kind.self),
                  amountMinorUnits: try reader.next(), balanceAfterMinorUnits: try reader.next(), currency: try reader.next(),
                  reservationID: try reader.next(Int64?.self), note: try reader.next(String?.self), createdAt: try reader.next())
    }
}

extension Reservation {
    static let pgColumns = """
        id, accountID, amountMinorUnits, currency, maxDurationSeconds, campaign, trigger, state, chargedMinorUnits,
        createdAt, settledAt
        """

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "reservation")
        self.init(id: try reader.next(Int64.self), accountID: try reader.next(), amountMinorUnits: try reader.next(),
                  currency: try reader.next(), maxDurationSeconds: try reader.next(Int?.self),
                  campaign: try reader.next(String?.self), trigger: try reader.next(String?.self),
                  state: try reader.next(State.self), chargedMinorUnits: try reader.next(Int64?.self),
                  createdAt: try reader.next(), settledAt: try reader.next(Date?.self))
    }
}

extension CallLeg {
    static let pgColumns = """
        id, accountID, reservationID, campaign, trigger, leg, fromNumber, toNumber, startedAt, answeredAt, lastProgressAt,
        endedAt, ratePrefix, ratePerMinuteMinorUnits, connectionFeeMinorUnits, firstIncrement, followingIncrement, charged,
        billedSeconds, costMinorUnits, currency, disposition, sipCause, isOpen, grantedSeconds
        """

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "callLeg")
        self.init(id: try reader.next(Int64.self), accountID: try reader.next(Int64?.self),
                  reservationID: try reader.next(Int64?.self), campaign: try reader.next(String?.self),
                  trigger: try reader.next(String?.self), leg: try reader.next(Leg.self), fromNumber: try reader.next(),
                  toNumber: try reader.next(), startedAt: try reader.next(), answeredAt: try reader.next(Date?.self),
                  lastProgressAt: try reader.next(Date?.self), endedAt: try reader.next(Date?.self),
                  ratePrefix: try reader.next(String?.self), ratePerMinuteMinorUnits: try reader.next(Int64?.self),
                  connectionFeeMinorUnits: try reader.next(Int64?.self), firstIncrement: try reader.next(Int?.self),
                  followingIncrement: try reader.next(Int?.self), charged: try reader.next(), billedSeconds: try reader.next(),
                  costMinorUnits: try reader.next(), currency: try reader.next(),
                  disposition: try reader.next(CallDisposition.self), sipCause: try reader.next(Int?.self),
                  isOpen: try reader.next(), grantedSeconds: try reader.next(Int?.self))
    }
}

extension CallbackRequest {
    static let pgColumns = """
        id, sourceKey, accountID, campaign, trigger, destinations, originNumber, callerID, accessNumber, script, node,
        notBefore, state, attempts, claimedBy, claimedAt, lastError, createdAt, updatedAt
        """

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "callbackRequest")
        let id = try reader.next(Int64.self)
        let sourceKey = try reader.next(String?.self)
        let accountID = try reader.next(Int64?.self)
        let campaign = try reader.next(String.self)
        let triggerText = try reader.next(String.self)
        // Rows written before "v7 trigger names" say `ani`, `pin`, `did`, as SQLite's decoder allows.
        guard let trigger = CallTrigger(rawValue: triggerText) ?? CallTrigger(rawValue: "sip-" + triggerText) else {
            throw StoreError.corruptRow("callbackRequest #\(id): unknown trigger \"\(triggerText)\"")
        }
        let destinationsText = try reader.next(String.self)
        guard let destinations = try? JSONDecoder().decode([String].self, from: Data(destinationsText.utf8)) else {
            throw StoreError.corruptRow("callbackRequest #\(id): destinations \"\(destinationsText)\" are not a JSON list")
        }
        self.init(id: id, sourceKey: sourceKey, accountID: accountID, campaign: campaign, trigger: trigger,
                  originNumber: try reader.next(String?.self), destinations: destinations,
                  callerID: try reader.next(String?.self), accessNumber: try reader.next(String?.self),
                  script: try reader.next(String?.self), node: try reader.next(String?.self), notBefore: try reader.next(),
                  state: try reader.next(State.self), attempts: try reader.next(), claimedBy: try reader.next(String?.self),
                  claimedAt: try reader.next(Date?.self), lastError: try reader.next(String?.self),
                  createdAt: try reader.next(), updatedAt: try reader.next())
    }

    /// How `destinations` is stored: a JSON list of strings, as GRDB writes it in SQLite.
    static func pgDestinations(_ destinations: [String]) throws -> String {
        String(decoding: try JSONEncoder().encode(destinations), as: UTF8.self)
    }
}

extension CallbackEvent {
    static let pgColumns = "id, requestID, fromState, state, error, attempt, at"

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "callbackEvent")
        self.init(id: try reader.next(Int64.self), requestID: try reader.next(),
                  fromState: try reader.next(CallbackRequest.State?.self), state: try reader.next(CallbackRequest.State.self),
                  error: try reader.next(String?.self), attempt: try reader.next(), at: try reader.next())
    }
}

extension OutboundSMS {
    static let pgColumns = """
        id, gateway, sender, recipient, text, accountID, state, attempts, nextAttemptAt, lastError, createdAt, sentAt
        """

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "smsOutbox")
        self.init(id: try reader.next(Int64.self), gateway: try reader.next(), sender: try reader.next(),
                  recipient: try reader.next(), text: try reader.next(), accountID: try reader.next(Int64?.self),
                  state: try reader.next(State.self), attempts: try reader.next(), nextAttemptAt: try reader.next(),
                  lastError: try reader.next(String?.self), createdAt: try reader.next(), sentAt: try reader.next(Date?.self))
    }
}

extension RegistrationBinding {
    static let pgColumns = """
        id, "user", domain, contact, expiresAt, qThousandths, callID, cseq, registeredAt, sourceTransport, sourceHost,
        sourcePort, userAgent
        """

    init(pgRow row: PostgresRow) throws {
        var reader = PostgresRowReader(row, table: "registrationBinding")
        self.init(id: try reader.next(Int64.self), user: try reader.next(), domain: try reader.next(),
                  contact: try reader.next(), expiresAt: try reader.next(), qThousandths: try reader.next(Int?.self),
                  callID: try reader.next(), cseq: try reader.next(), registeredAt: try reader.next(),
                  sourceTransport: try reader.next(String?.self), sourceHost: try reader.next(String?.self),
                  sourcePort: try reader.next(Int?.self), userAgent: try reader.next(String?.self))
    }
}

extension PostgresSession {
    /// Every row of `query` as a record.
    func fetchAll<Record>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Record,
                          file: String = #fileID, line: Int = #line) throws -> [Record] {
        try self.query(query, file: file, line: line).map(decode)
    }

    /// The first row of `query` as a record, or nil.
    func fetchOne<Record>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Record,
                          file: String = #fileID, line: Int = #line) throws -> Record? {
        try self.query(query, file: file, line: line).first.map(decode)
    }
}
