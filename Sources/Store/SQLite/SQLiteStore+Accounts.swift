import Billing
import Foundation
import GRDB

extension SQLiteStore: AccountStore {
    public func createAccount(_ new: NewAccount, at now: Date) throws -> Account {
        let prepared = try prepare(new, lotID: nil, at: now)
        return try writer.write { db in try self.insert(prepared, pin: new.pin, db: db, at: now) }
    }

    public func createLot(named name: String, accounts news: [NewAccount], at now: Date) throws -> (AccountLot, [Account]) {
        // Hash outside the write transaction: PBKDF2 is slow by design.
        let prepared = try news.map { try prepare($0, lotID: nil, at: now) }
        return try writer.write { db in
            guard try AccountLot.filter(AccountLot.SQLColumns.name == name).fetchCount(db) == 0 else {
                throw StoreError.lotNameTaken(name)
            }
            var lot = AccountLot(id: nil, name: name, size: news.count, createdAt: now)
            try lot.insert(db)
            var accounts: [Account] = []
            for (index, var account) in prepared.enumerated() {
                account.lotID = lot.id
                accounts.append(try self.insert(account, pin: news[index].pin, db: db, at: now))
            }
            return (lot, accounts)
        }
    }

    public func account(id: Int64) throws -> Account? {
        try writer.read { db in try Account.fetchOne(db, cachedKey: id) }
    }

    public func account(login: String) throws -> Account? {
        try writer.read { db in try Account.fetchOne(db, cachedSQL: "SELECT * FROM account WHERE login = ?", arguments: [login]) }
    }

    public func account(personalDID: String) throws -> Account? {
        try writer.read { db in
            try Account.fetchOne(db, cachedSQL: "SELECT * FROM account WHERE personalDID = ?", arguments: [personalDID])
        }
    }

    public func accounts(lot: String?) throws -> [Account] {
        try writer.read { db in
            var request = Account.order(Account.SQLColumns.login)
            if let lot {
                guard let lotID = try AccountLot.filter(AccountLot.SQLColumns.name == lot).fetchOne(db)?.id else { return [] }
                request = request.filter(Account.SQLColumns.lotID == lotID)
            }
            return try request.fetchAll(db)
        }
    }

    public func accountPage(loginPrefix: String?, offset: Int, limit: Int) throws -> AccountPage {
        try writer.read { db in
            var request = Account.all()
            if let loginPrefix, !loginPrefix.isEmpty {
                // substr, not LIKE: no wildcard in the prefix, and case-sensitive as PostgreSQL.
                request = request.filter(sql: "substr(login, 1, length(?)) = ?", arguments: [loginPrefix, loginPrefix])
            }
            let total = try request.fetchCount(db)
            let accounts = try request.order(Account.SQLColumns.login).limit(max(0, limit), offset: max(0, offset)).fetchAll(db)
            return AccountPage(total: total, items: accounts)
        }
    }

    public func lots() throws -> [AccountLot] {
        try writer.read { db in try AccountLot.order(AccountLot.SQLColumns.name).fetchAll(db) }
    }

    public func authenticate(login: String, password: String) throws -> AuthenticationOutcome {
        guard let account = try account(login: login),
              passwordHasher.verify(password, against: account.passwordHash)
        else { return .rejected }
        return account.state == .active ? .authenticated(account) : .locked(account)
    }

    /// Finds the account of `pin`: the accounts of its lookup bucket are verified against
    /// their salted hashes (a handful, never all accounts); then a pre-v6 hash, which a
    /// match rehashes with a salt of its own.
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
        let candidates = try writer.read { db in
            try Account.fetchAll(db, cachedSQL: "SELECT * FROM account WHERE pinBucket = ?", arguments: [bucket])
        }
        for candidate in candidates {
            guard let salt = candidate.pinSalt, let stored = candidate.pinHash else { continue }
            if try pinHasher.verify(pin, accountSalt: salt, hash: stored) { return candidate }
        }
        // Pre-v6 hashes cost a PBKDF2 to compare: only while some are left.
        let legacyLeft = try writer.read { db in
            try db.fetchCount(cachedSQL: "SELECT COUNT(*) FROM account WHERE pinHash IS NOT NULL AND pinSalt IS NULL") > 0
        }
        guard legacyLeft else { return nil }
        let legacy = try pinHasher.hash(pin)
        guard let old = try writer.read({ db in
            try Account.filter(Account.SQLColumns.pinHash == legacy && Account.SQLColumns.pinSalt == nil).fetchOne(db)
        }), let id = old.id else { return nil }
        try rehashPIN(pin, account: id)
        return try account(id: id)
    }

    /// Replaces a pre-v6 PIN hash by a salted, peppered one (after the PIN was verified).
    private func rehashPIN(_ pin: String, account id: Int64) throws {
        let salt = PINHasher.makeSalt()
        let hash = try pinHasher.hash(pin, accountSalt: salt)
        let bucket = pinHasher.bucket(pin)
        try writer.write { db in
            try db.execute(sql: "UPDATE account SET pinHash = ?, pinSalt = ?, pinBucket = ? WHERE id = ? AND pinSalt IS NULL",
                           arguments: [hash, salt, bucket, id])
        }
    }

    /// Whether another account already has `pin` (PINs identify accounts, so they are unique).
    private func pinInUse(_ pin: String, db: Database) throws -> Bool {
        let bucket = pinHasher.bucket(pin)
        for candidate in try Account.filter(Account.SQLColumns.pinBucket == bucket).fetchAll(db) {
            if let salt = candidate.pinSalt, let stored = candidate.pinHash,
               try pinHasher.verify(pin, accountSalt: salt, hash: stored) { return true }
        }
        // Pre-v6 hashes cost a PBKDF2 to compare: only while some are left.
        guard try Account.filter(Account.SQLColumns.pinHash != nil && Account.SQLColumns.pinSalt == nil).fetchCount(db) > 0 else {
            return false
        }
        let legacy = try pinHasher.hash(pin)
        return try Account.filter(Account.SQLColumns.pinHash == legacy && Account.SQLColumns.pinSalt == nil).fetchCount(db) > 0
    }

    public func credit(account id: Int64, amount: Money, note: String?, at now: Date) throws -> LedgerEntry {
        try changeBalance(account: id, amount: amount, kind: .credit, note: note, at: now)
    }

    public func debit(account id: Int64, amount: Money, note: String?, at now: Date) throws -> LedgerEntry {
        try changeBalance(account: id, amount: amount, kind: .debit, note: note, at: now)
    }

    public func setState(_ state: AccountState, account id: Int64) throws {
        try writer.write { db in
            guard var account = try Account.fetchOne(db, cachedKey: id) else { throw StoreError.unknownAccount("#\(id)") }
            account.state = state
            try account.update(db)
        }
    }

    public func setForwarding(number: String?, mode: ForwardMode, afterSeconds: Int, account id: Int64) throws -> Account {
        try Self.checkForwarding(number: number, afterSeconds: afterSeconds)
        return try writer.write { db in
            guard var account = try Account.fetchOne(db, cachedKey: id) else { throw StoreError.unknownAccount("#\(id)") }
            account.forwardNumber = number
            account.forwardMode = mode
            account.forwardAfterSeconds = afterSeconds
            try account.update(db)
            return account
        }
    }

    public func ledger(account id: Int64) throws -> [LedgerEntry] {
        try writer.read { db in
            try LedgerEntry.filter(LedgerEntry.SQLColumns.accountID == id).order(Column("id")).fetchAll(db)
        }
    }

    // MARK: - Helpers

    private func changeBalance(account id: Int64, amount: Money, kind: LedgerEntry.Kind, note: String?,
                               at now: Date) throws -> LedgerEntry {
        guard amount.minorUnits > 0 else { throw StoreError.nonPositiveAmount(amount) }
        return try writer.write { db in
            guard let account = try Account.fetchOne(db, cachedKey: id) else { throw StoreError.unknownAccount("#\(id)") }
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

    /// Changes an account's balance and writes the matching ledger entry. Callers are
    /// inside a write transaction; this is the only place balances change.
    static func applyBalanceChange(db: Database, account: Account, delta: Int64, kind: LedgerEntry.Kind,
                                   reservationID: Int64?, note: String?, at now: Date) throws -> LedgerEntry {
        guard let id = account.id else { throw StoreError.unknownAccount(account.login) }
        let (newBalance, overflow) = account.balanceMinorUnits.addingReportingOverflow(delta)
        guard !overflow else { throw MoneyError.overflow(operation: "balance of \(account.login)") }
        try db.execute(cachedSQL: "UPDATE account SET balanceMinorUnits = ? WHERE id = ?", arguments: [newBalance, id])
        var entry = LedgerEntry(id: nil, accountID: id, kind: kind, amountMinorUnits: delta,
                                balanceAfterMinorUnits: newBalance, currency: account.currency,
                                reservationID: reservationID, note: note, createdAt: now)
        try entry.insert(db)
        return entry
    }

    static func isValidLogin(_ login: String) -> Bool {
        guard (1...64).contains(login.utf8.count) else { return false }
        return login.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-@".unicodeScalars.contains(scalar))
        }
    }

    /// The forward number is a dial string (digits, `+`, `*`, `#`); the ring time is what
    /// the schema's CHECK allows. Said here so the error names the value, not a constraint.
    static func checkForwarding(number: String?, afterSeconds: Int) throws {
        if let number, number.isEmpty || number.count > 32 || !number.allSatisfy({ $0.isASCII && ($0.isNumber || "+*#".contains($0)) }) {
            throw InvalidForwarding(description: "forward number \"\(number)\" is not a dial string (digits, '+', '*', '#'; at most 32)")
        }
        guard (1...600).contains(afterSeconds) else {
            throw InvalidForwarding(description: "forward-after \(afterSeconds) s is outside 1...600 seconds")
        }
    }

    private func prepare(_ new: NewAccount, lotID: Int64?, at now: Date) throws -> Account {
        guard Self.isValidLogin(new.login) else { throw StoreError.invalidLogin(new.login) }
        try Self.checkForwarding(number: new.forwardNumber, afterSeconds: new.forwardAfterSeconds)
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
            pinHash: pinHash, pinSalt: pinSalt, pinBucket: pinBucket, balanceMinorUnits: new.initialBalance.minorUnits, currency: new.initialBalance.currency,
            ratePlan: new.ratePlan, forwardNumber: new.forwardNumber, personalDID: new.personalDID,
            forwardMode: new.forwardMode, forwardAfterSeconds: new.forwardAfterSeconds,
            maxConcurrentCalls: new.maxConcurrentCalls, dailySpendLimitMinorUnits: new.dailySpendLimit?.minorUnits,
            state: .active, lotID: lotID, createdAt: now)
    }

    /// Inserts a prepared account (balance 0) and books its initial balance in the ledger.
    private func insert(_ prepared: Account, pin: String?, db: Database, at now: Date) throws -> Account {
        let initialBalance = prepared.balanceMinorUnits
        var account = prepared
        account.balanceMinorUnits = 0
        guard try Account.filter(Account.SQLColumns.login == account.login).fetchCount(db) == 0 else {
            throw StoreError.loginTaken(account.login)
        }
        if let pin, try pinInUse(pin, db: db) {
            throw StoreError.pinTaken
        }
        if let did = account.personalDID,
           try Account.filter(Account.SQLColumns.personalDID == did).fetchCount(db) > 0 {
            throw StoreError.personalDIDTaken(did)
        }
        if let plan = account.ratePlan {
            guard let record = try RatePlanRecord.filter(RatePlanRecord.SQLColumns.name == plan).fetchOne(db) else {
                throw StoreError.unknownRatePlan(plan)
            }
            guard record.currency == account.currency else {
                throw StoreError.currencyMismatch(expected: record.currency, found: account.currency)
            }
        }
        try account.insert(db)
        if initialBalance != 0 {
            _ = try Self.applyBalanceChange(db: db, account: account, delta: initialBalance, kind: .initial,
                                            reservationID: nil, note: nil, at: now)
            account.balanceMinorUnits = initialBalance
        }
        return account
    }
}
