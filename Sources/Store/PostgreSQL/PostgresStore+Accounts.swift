import Billing
import Foundation
import PostgresNIO

extension PostgresStore: AccountStore {
    public func createAccount(_ new: NewAccount, at now: Date) throws -> Account {
        let prepared = try prepare(new, at: now)
        return try transaction { db in try self.insert(prepared, pin: new.pin, db: db, at: now) }
    }

    public func createLot(named name: String, accounts news: [NewAccount], at now: Date) throws -> (AccountLot, [Account]) {
        // Hash outside the transaction: PBKDF2 is slow by design.
        let prepared = try news.map { try prepare($0, at: now) }
        return try transaction { db in
            guard try db.scalar("SELECT count(*) FROM accountLot WHERE name = \(name)", as: Int64.self) == 0 else {
                throw StoreError.lotNameTaken(name)
            }
            let lotID = try self.insertedID(db, """
                INSERT INTO accountLot (name, size, createdAt) VALUES (\(name), \(news.count), \(now)) RETURNING id
                """, uniqueViolation: StoreError.lotNameTaken(name))
            let lot = AccountLot(id: lotID, name: name, size: news.count, createdAt: now)
            var accounts: [Account] = []
            for (index, var account) in prepared.enumerated() {
                account.lotID = lotID
                accounts.append(try self.insert(account, pin: news[index].pin, db: db, at: now))
            }
            return (lot, accounts)
        }
    }

    public func account(id: Int64) throws -> Account? {
        try read { db in try Self.account(db, id: id) }
    }

    public func account(login: String) throws -> Account? {
        try read { db in
            try db.fetchOne("SELECT \(unescaped: Account.pgColumns) FROM account WHERE login = \(login)", Account.init(pgRow:))
        }
    }

    public func account(personalDID: String) throws -> Account? {
        try read { db in
            try db.fetchOne("SELECT \(unescaped: Account.pgColumns) FROM account WHERE personalDID = \(personalDID)",
                            Account.init(pgRow:))
        }
    }

    public func accounts(lot: String?) throws -> [Account] {
        try read { db in
            if let lot {
                return try db.fetchAll("""
                    SELECT \(unescaped: Account.pgColumns) FROM account
                    WHERE lotID = (SELECT id FROM accountLot WHERE name = \(lot)) ORDER BY login
                    """, Account.init(pgRow:))
            }
            return try db.fetchAll("SELECT \(unescaped: Account.pgColumns) FROM account ORDER BY login", Account.init(pgRow:))
        }
    }

    public func accountPage(loginPrefix: String?, offset: Int, limit: Int) throws -> AccountPage {
        let prefix = loginPrefix ?? ""
        return try read { db in
            let total = try db.scalar("""
                SELECT count(*) FROM account WHERE left(login, length(\(prefix))) = \(prefix)
                """, as: Int64.self) ?? 0
            let accounts = try db.fetchAll("""
                SELECT \(unescaped: Account.pgColumns) FROM account WHERE left(login, length(\(prefix))) = \(prefix)
                ORDER BY login COLLATE "C" LIMIT \(Int64(max(0, limit))) OFFSET \(Int64(max(0, offset)))
                """, Account.init(pgRow:))
            return AccountPage(total: Int(total), items: accounts)
        }
    }

    public func lots() throws -> [AccountLot] {
        try read { db in
            try db.fetchAll("SELECT \(unescaped: AccountLot.pgColumns) FROM accountLot ORDER BY name", AccountLot.init(pgRow:))
        }
    }

    public func authenticate(login: String, password: String) throws -> AuthenticationOutcome {
        guard let account = try account(login: login),
              passwordHasher.verify(password, against: account.passwordHash)
        else { return .rejected }
        return account.state == .active ? .authenticated(account) : .locked(account)
    }

    /// Finds the account of `pin` through its lookup bucket (a handful of salted hashes to
    /// verify, never all accounts); then a pre-v6 hash, which a match rehashes.
    public func authenticate(pin: String) throws -> AuthenticationOutcome {
        guard let account = try findAccount(pin: pin) else { return .rejected }
        return account.state == .active ? .authenticated(account) : .locked(account)
    }

    public func verifyPIN(_ pin: String, account id: Int64) throws -> Bool {
        guard let account = try account(id: id), let stored = account.pinHash else { return false }
        if let salt = account.pinSalt { return try pinHasher.verify(pin, accountSalt: salt, hash: stored) }
        let legacy = try pinHasher.hash(pin)
        guard PasswordHasher.constantTimeEquals(Data(legacy.utf8), Data(stored.utf8)) else { return false }
        try rehashPIN(pin, account: id)
        return true
    }

    private func findAccount(pin: String) throws -> Account? {
        let bucket = pinHasher.bucket(pin)
        let candidates = try read { db in
            try db.fetchAll("SELECT \(unescaped: Account.pgColumns) FROM account WHERE pinBucket = \(bucket)",
                            Account.init(pgRow:))
        }
        for candidate in candidates {
            guard let salt = candidate.pinSalt, let stored = candidate.pinHash else { continue }
            if try pinHasher.verify(pin, accountSalt: salt, hash: stored) { return candidate }
        }
        // Pre-v6 hashes cost a PBKDF2 to compare: only while some are left.
        guard try read({ db in try Self.legacyPINsLeft(db) }) else { return nil }
        let legacy = try pinHasher.hash(pin)
        guard let old = try read({ db in
            try db.fetchOne("""
                SELECT \(unescaped: Account.pgColumns) FROM account WHERE pinHash = \(legacy) AND pinSalt IS NULL
                """, Account.init(pgRow:))
        }), let id = old.id else { return nil }
        try rehashPIN(pin, account: id)
        return try account(id: id)
    }

    private static func legacyPINsLeft(_ db: PostgresSession) throws -> Bool {
        try db.scalar("SELECT EXISTS (SELECT 1 FROM account WHERE pinHash IS NOT NULL AND pinSalt IS NULL)", as: Bool.self)
            ?? false
    }

    /// Replaces a pre-v6 PIN hash by a salted, peppered one (after the PIN was verified).
    private func rehashPIN(_ pin: String, account id: Int64) throws {
        let salt = PINHasher.makeSalt()
        let hash = try pinHasher.hash(pin, accountSalt: salt)
        let bucket = pinHasher.bucket(pin)
        try read { db in
            try db.execute("""
                UPDATE account SET pinHash = \(hash), pinSalt = \(salt), pinBucket = \(bucket)
                WHERE id = \(id) AND pinSalt IS NULL
                """)
        }
    }

    /// Whether another account already has `pin` (PINs identify accounts, so they are unique).
    private func pinInUse(_ pin: String, db: PostgresSession) throws -> Bool {
        let bucket = pinHasher.bucket(pin)
        let candidates = try db.fetchAll("SELECT \(unescaped: Account.pgColumns) FROM account WHERE pinBucket = \(bucket)",
                                         Account.init(pgRow:))
        for candidate in candidates {
            if let salt = candidate.pinSalt, let stored = candidate.pinHash,
               try pinHasher.verify(pin, accountSalt: salt, hash: stored) { return true }
        }
        guard try Self.legacyPINsLeft(db) else { return false }
        let legacy = try pinHasher.hash(pin)
        return try db.scalar("SELECT count(*) FROM account WHERE pinHash = \(legacy) AND pinSalt IS NULL", as: Int64.self) ?? 0 > 0
    }

    public func credit(account id: Int64, amount: Money, note: String?, at now: Date) throws -> LedgerEntry {
        try changeBalance(account: id, amount: amount, kind: .credit, note: note, at: now)
    }

    public func debit(account id: Int64, amount: Money, note: String?, at now: Date) throws -> LedgerEntry {
        try changeBalance(account: id, amount: amount, kind: .debit, note: note, at: now)
    }

    public func setState(_ state: AccountState, account id: Int64) throws {
        try transaction { db in
            guard try db.execute("UPDATE account SET state = \(state.rawValue) WHERE id = \(id)") > 0 else {
                throw StoreError.unknownAccount("#\(id)")
            }
        }
    }

    public func setForwarding(number: String?, mode: ForwardMode, afterSeconds: Int, account id: Int64) throws -> Account {
        try SQLiteStore.checkForwarding(number: number, afterSeconds: afterSeconds)
        return try transaction { db in
            guard let account = try db.fetchOne("""
                UPDATE account SET forwardNumber = \(number), forwardMode = \(mode.rawValue),
                                   forwardAfterSeconds = \(afterSeconds)
                WHERE id = \(id) RETURNING \(unescaped: Account.pgColumns)
                """, Account.init(pgRow:)) else { throw StoreError.unknownAccount("#\(id)") }
            return account
        }
    }

    public func ledger(account id: Int64) throws -> [LedgerEntry] {
        try read { db in
            try db.fetchAll("SELECT \(unescaped: LedgerEntry.pgColumns) FROM ledgerEntry WHERE accountID = \(id) ORDER BY id",
                            LedgerEntry.init(pgRow:))
        }
    }

    // MARK: - Helpers

    static func account(_ db: PostgresSession, id: Int64, forUpdate: Bool = false) throws -> Account? {
        try db.fetchOne("""
            SELECT \(unescaped: Account.pgColumns) FROM account WHERE id = \(id)\(unescaped: forUpdate ? " FOR UPDATE" : "")
            """, Account.init(pgRow:))
    }

    private func changeBalance(account id: Int64, amount: Money, kind: LedgerEntry.Kind, note: String?,
                               at now: Date) throws -> LedgerEntry {
        guard amount.minorUnits > 0 else { throw StoreError.nonPositiveAmount(amount) }
        return try transaction { db in
            // The row lock orders this change after any other node's on the same account.
            guard let account = try Self.account(db, id: id, forUpdate: true) else { throw StoreError.unknownAccount("#\(id)") }
            guard account.currency == amount.currency else {
                throw StoreError.currencyMismatch(expected: account.currency, found: amount.currency)
            }
            if kind == .debit {
                // Money held for calls in progress is spoken for: a debit may take only what
                // is free, or settling those calls would drive the balance below zero.
                let reserved = try Self.reservedMinorUnits(db, account: id)
                guard amount.minorUnits <= account.balanceMinorUnits - reserved else {
                    throw StoreError.debitExceedsFreeBalance(
                        requested: amount, balance: account.balance,
                        reserved: Money(minorUnits: reserved, currency: account.currency))
                }
            }
            let delta = kind == .debit ? -amount.minorUnits : amount.minorUnits
            return try Self.applyBalanceChange(db: db, account: account, delta: delta, kind: kind,
                                               reservationID: nil, note: note, at: now)
        }
    }

    /// Money held by the account's open reservations.
    static func reservedMinorUnits(_ db: PostgresSession, account id: Int64) throws -> Int64 {
        try db.scalar("""
            SELECT COALESCE(SUM(amountMinorUnits), 0)::BIGINT FROM reservation WHERE accountID = \(id) AND state = 'open'
            """, as: Int64.self) ?? 0
    }

    /// Changes an account's balance and writes the matching ledger entry. Callers are in a
    /// transaction holding the account's row lock; this is the only place balances change.
    static func applyBalanceChange(db: PostgresSession, account: Account, delta: Int64, kind: LedgerEntry.Kind,
                                   reservationID: Int64?, note: String?, at now: Date) throws -> LedgerEntry {
        guard let id = account.id else { throw StoreError.unknownAccount(account.login) }
        let (newBalance, overflow) = account.balanceMinorUnits.addingReportingOverflow(delta)
        guard !overflow else { throw MoneyError.overflow(operation: "balance of \(account.login)") }
        try db.execute("UPDATE account SET balanceMinorUnits = \(newBalance) WHERE id = \(id)")
        guard let entry = try db.fetchOne("""
            INSERT INTO ledgerEntry (accountID, kind, amountMinorUnits, balanceAfterMinorUnits, currency, reservationID,
                                     note, createdAt)
            VALUES (\(id), \(kind.rawValue), \(delta), \(newBalance), \(account.currency), \(reservationID), \(note), \(now))
            RETURNING \(unescaped: LedgerEntry.pgColumns)
            """, LedgerEntry.init(pgRow:)) else { throw StoreError.corruptRow("ledgerEntry insert returned no row") }
        return entry
    }

    private func prepare(_ new: NewAccount, at now: Date) throws -> Account {
        guard SQLiteStore.isValidLogin(new.login) else { throw StoreError.invalidLogin(new.login) }
        try SQLiteStore.checkForwarding(number: new.forwardNumber, afterSeconds: new.forwardAfterSeconds)
        var pinHash: String?
        var pinSalt: String?
        var pinBucket: String?
        if let pin = new.pin {
            guard (4...12).contains(pin.count), pin.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw StoreError.invalidPIN(reason: "use 4 to 12 digits")
            }
            let salt = PINHasher.makeSalt()
            pinSalt = salt
            pinHash = try pinHasher.hash(pin, accountSalt: salt)
            pinBucket = pinHasher.bucket(pin)
        }
        if let limit = new.dailySpendLimit, limit.currency != new.initialBalance.currency {
            throw StoreError.currencyMismatch(expected: new.initialBalance.currency, found: limit.currency)
        }
        return Account(
            id: nil, login: new.login, passwordHash: try passwordHasher.hash(new.password), sipRealm: new.sipRealm,
            sipHA1: SIPDigestHA1.md5(login: new.login, realm: new.sipRealm, password: new.password),
            sipHA1SHA256: SIPDigestHA1.sha256(login: new.login, realm: new.sipRealm, password: new.password),
            pinHash: pinHash, pinSalt: pinSalt, pinBucket: pinBucket, balanceMinorUnits: new.initialBalance.minorUnits,
            currency: new.initialBalance.currency, ratePlan: new.ratePlan, forwardNumber: new.forwardNumber,
            personalDID: new.personalDID, forwardMode: new.forwardMode, forwardAfterSeconds: new.forwardAfterSeconds,
            maxConcurrentCalls: new.maxConcurrentCalls, dailySpendLimitMinorUnits: new.dailySpendLimit?.minorUnits,
            state: .active, lotID: nil, createdAt: now)
    }

    /// Inserts a prepared account (balance 0) and books its initial balance in the ledger.
    private func insert(_ prepared: Account, pin: String?, db: PostgresSession, at now: Date) throws -> Account {
        let initialBalance = prepared.balanceMinorUnits
        var account = prepared
        account.balanceMinorUnits = 0
        guard try db.scalar("SELECT count(*) FROM account WHERE login = \(account.login)", as: Int64.self) == 0 else {
            throw StoreError.loginTaken(account.login)
        }
        if let pin, try pinInUse(pin, db: db) {
            throw StoreError.pinTaken
        }
        if let did = account.personalDID,
           try db.scalar("SELECT count(*) FROM account WHERE personalDID = \(did)", as: Int64.self) ?? 0 > 0 {
            throw StoreError.personalDIDTaken(did)
        }
        if let plan = account.ratePlan {
            guard let currency = try db.scalar("SELECT currency FROM ratePlan WHERE name = \(plan)", as: String.self) else {
                throw StoreError.unknownRatePlan(plan)
            }
            guard currency == account.currency else {
                throw StoreError.currencyMismatch(expected: currency, found: account.currency)
            }
        }
        // Another node may insert the same login between the check and here: the UNIQUE
        // constraint then speaks, as the same error.
        account.id = try insertedID(db, """
            INSERT INTO account (login, passwordHash, sipRealm, sipHA1, sipHA1SHA256, pinHash, pinSalt, pinBucket,
                                 balanceMinorUnits, currency, ratePlan, forwardNumber, personalDID, forwardMode,
                                 forwardAfterSeconds, maxConcurrentCalls, dailySpendLimitMinorUnits, state, lotID, createdAt)
            VALUES (\(account.login), \(account.passwordHash), \(account.sipRealm), \(account.sipHA1), \(account.sipHA1SHA256),
                    \(account.pinHash), \(account.pinSalt), \(account.pinBucket), \(account.balanceMinorUnits),
                    \(account.currency), \(account.ratePlan), \(account.forwardNumber), \(account.personalDID),
                    \(account.forwardMode.rawValue), \(account.forwardAfterSeconds), \(account.maxConcurrentCalls),
                    \(account.dailySpendLimitMinorUnits), \(account.state.rawValue), \(account.lotID), \(account.createdAt))
            RETURNING id
            """, uniqueViolation: account.personalDID.map { did in
                { (message: String) in message.contains("personaldid") ? .personalDIDTaken(did) : .loginTaken(prepared.login) }
            } ?? { _ in .loginTaken(prepared.login) })
        if initialBalance != 0 {
            _ = try Self.applyBalanceChange(db: db, account: account, delta: initialBalance, kind: .initial,
                                            reservationID: nil, note: nil, at: now)
            account.balanceMinorUnits = initialBalance
        }
        return account
    }

    /// Runs an `INSERT … RETURNING id`; a UNIQUE violation becomes `uniqueViolation`.
    func insertedID(_ db: PostgresSession, _ query: PostgresQuery, uniqueViolation: StoreError) throws -> Int64 {
        try insertedID(db, query, uniqueViolation: { _ in uniqueViolation })
    }

    /// Runs an `INSERT … RETURNING id`; a UNIQUE violation (another node inserted the same
    /// key between the check and the insert) becomes the error `uniqueViolation` makes of
    /// the server's message, which names the constraint.
    func insertedID(_ db: PostgresSession, _ query: PostgresQuery, uniqueViolation: (String) -> StoreError) throws -> Int64 {
        do {
            guard let id = try db.scalar(query, as: Int64.self) else {
                throw StoreError.corruptRow("INSERT returned no id: \(query.sql)")
            }
            return id
        } catch let error as StoreError where error.isUniqueViolation {
            if case .databaseFailed(_, let message) = error { throw uniqueViolation(message) }
            throw error
        }
    }
}
