import Foundation
import Logging
import PostgresNIO

/// The PostgreSQL schema as named, append-only migrations, the same names, tables and
/// meanings as SQLite's (`StoreMigrations`), so an operator can compare the two lists. A
/// shipped migration is never edited: changes are new migrations appended at the end.
///
/// Differences that are PostgreSQL's, not the schema's: identifiers are unquoted and so
/// folded to lower case (`accountID` is the column `accountid`), except `"user"` (a
/// reserved word); integers are BIGINT; money columns hold ten-thousandths of the currency
/// unit (`Billing.Money.minorUnits`) as BIGINT; dates are `TIMESTAMPTZ(3)`, milliseconds,
/// the precision the SQLite store keeps; SQLite's case-insensitive UNIQUE is a unique index
/// on `lower(name)`; the callback event triggers are PL/pgSQL functions.
///
/// Migrations run in one transaction under a transaction-scoped advisory lock, so nodes
/// starting together apply each migration once and none sees a half-made schema.
enum PostgresMigrations {
    struct Migration {
        var name: String
        var statements: [PostgresQuery]
    }

    /// `pg_advisory_xact_lock` key of the migrations ("SwBkMigr" as 8 bytes).
    static let advisoryLockKey: Int64 = 0x5377_426B_4D69_6772

    static let table = "schemaMigration"

    /// Applies the migrations not yet applied; returns the names it applied.
    @discardableResult
    static func migrate(_ session: PostgresSession) throws -> [String] {
        try session.execute("BEGIN")
        do {
            try session.query("SELECT pg_advisory_xact_lock(\(advisoryLockKey))")
            try session.execute("""
                CREATE TABLE IF NOT EXISTS schemaMigration (
                    identifier TEXT PRIMARY KEY NOT NULL,
                    appliedAt TIMESTAMPTZ(3) NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try appliedNames(session))
            var newlyApplied: [String] = []
            for migration in all() where !applied.contains(migration.name) {
                for statement in migration.statements {
                    do {
                        try session.execute(statement)
                    } catch let error as StoreError {
                        if case .databaseFailed(let state, let message) = error {
                            throw StoreError.databaseFailed(sqlState: state, message: "migration \"\(migration.name)\": \(message)")
                        }
                        throw error
                    }
                }
                try session.execute("INSERT INTO schemaMigration (identifier) VALUES (\(migration.name))")
                newlyApplied.append(migration.name)
            }
            try session.execute("COMMIT")
            return newlyApplied
        } catch {
            _ = try? session.execute("ROLLBACK")
            throw error
        }
    }

    /// Names of the applied migrations, in the order they are registered.
    static func appliedNames(_ session: PostgresSession) throws -> [String] {
        let rows = try session.query("SELECT identifier FROM schemaMigration")
        let applied = Set(try rows.map { try PostgresSession.decode($0, as: String.self) })
        return all().map(\.name).filter(applied.contains)
    }

    /// Every migration, in order. (A function, not a constant: v1 draws a fresh PIN salt.)
    static func all() -> [Migration] {
        var generator = SystemRandomNumberGenerator()
        let pinSalt = (0..<16).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
        return [
            Migration(name: "v1 accounts, rates, billing, CDRs, callback queue", statements: [
                """
                CREATE TABLE setting (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                )
                """,
                // Salt of the keyed PIN hash: random per database, made once here.
                "INSERT INTO setting (key, value) VALUES ('pinSalt', \(pinSalt))",
                """
                CREATE TABLE accountLot (
                    id BIGSERIAL PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    size BIGINT NOT NULL,
                    createdAt TIMESTAMPTZ(3) NOT NULL
                )
                """,
                """
                CREATE TABLE account (
                    id BIGSERIAL PRIMARY KEY,
                    login TEXT NOT NULL UNIQUE,
                    passwordHash TEXT NOT NULL,
                    sipRealm TEXT NOT NULL,
                    sipHA1 TEXT NOT NULL,
                    sipHA1SHA256 TEXT NOT NULL,
                    pinHash TEXT UNIQUE,
                    balanceMinorUnits BIGINT NOT NULL,
                    currency TEXT NOT NULL,
                    ratePlan TEXT,
                    forwardNumber TEXT,
                    personalDID TEXT UNIQUE,
                    maxConcurrentCalls BIGINT NOT NULL DEFAULT 0 CHECK (maxConcurrentCalls >= 0),
                    dailySpendLimitMinorUnits BIGINT CHECK (dailySpendLimitMinorUnits >= 0),
                    state TEXT NOT NULL CHECK (state IN ('active', 'locked')),
                    lotID BIGINT REFERENCES accountLot(id),
                    createdAt TIMESTAMPTZ(3) NOT NULL
                )
                """,
                """
                CREATE TABLE authorisedCallerID (
                    id BIGSERIAL PRIMARY KEY,
                    accountID BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    number TEXT NOT NULL UNIQUE,
                    createdAt TIMESTAMPTZ(3) NOT NULL
                )
                """,
                "CREATE INDEX authorisedCallerID_account ON authorisedCallerID(accountID)",
                """
                CREATE TABLE addressBookEntry (
                    id BIGSERIAL PRIMARY KEY,
                    accountID BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    slot BIGINT NOT NULL CHECK (slot >= 1),
                    name TEXT NOT NULL,
                    number TEXT NOT NULL,
                    UNIQUE (accountID, slot)
                )
                """,
                "CREATE UNIQUE INDEX addressBookEntry_name ON addressBookEntry(accountID, lower(name))",
                """
                CREATE TABLE ratePlan (
                    id BIGSERIAL PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    currency TEXT NOT NULL,
                    chargesALeg BOOLEAN NOT NULL,
                    updatedAt TIMESTAMPTZ(3) NOT NULL
                )
                """,
                """
                CREATE TABLE rate (
                    id BIGSERIAL PRIMARY KEY,
                    planID BIGINT NOT NULL REFERENCES ratePlan(id) ON DELETE CASCADE,
                    prefix TEXT NOT NULL,
                    description TEXT NOT NULL,
                    perMinuteMinorUnits BIGINT NOT NULL CHECK (perMinuteMinorUnits >= 0),
                    connectionFeeMinorUnits BIGINT NOT NULL CHECK (connectionFeeMinorUnits >= 0),
                    firstIncrement BIGINT NOT NULL CHECK (firstIncrement >= 1),
                    followingIncrement BIGINT NOT NULL CHECK (followingIncrement >= 1),
                    UNIQUE (planID, prefix)
                )
                """,
                """
                CREATE TABLE reservation (
                    id BIGSERIAL PRIMARY KEY,
                    accountID BIGINT NOT NULL REFERENCES account(id),
                    amountMinorUnits BIGINT NOT NULL CHECK (amountMinorUnits >= 0),
                    currency TEXT NOT NULL,
                    maxDurationSeconds BIGINT,
                    campaign TEXT,
                    trigger TEXT,
                    state TEXT NOT NULL CHECK (state IN ('open', 'settled')),
                    chargedMinorUnits BIGINT,
                    createdAt TIMESTAMPTZ(3) NOT NULL,
                    settledAt TIMESTAMPTZ(3)
                )
                """,
                "CREATE INDEX reservation_open ON reservation(accountID) WHERE state = 'open'",
                """
                CREATE TABLE ledgerEntry (
                    id BIGSERIAL PRIMARY KEY,
                    accountID BIGINT NOT NULL REFERENCES account(id),
                    kind TEXT NOT NULL,
                    amountMinorUnits BIGINT NOT NULL,
                    balanceAfterMinorUnits BIGINT NOT NULL,
                    currency TEXT NOT NULL,
                    reservationID BIGINT UNIQUE REFERENCES reservation(id),
                    note TEXT,
                    createdAt TIMESTAMPTZ(3) NOT NULL
                )
                """,
                "CREATE INDEX ledgerEntry_account ON ledgerEntry(accountID, createdAt)",
                """
                CREATE TABLE callLeg (
                    id BIGSERIAL PRIMARY KEY,
                    accountID BIGINT REFERENCES account(id),
                    reservationID BIGINT REFERENCES reservation(id),
                    campaign TEXT,
                    trigger TEXT,
                    leg TEXT NOT NULL CHECK (leg IN ('a', 'b')),
                    fromNumber TEXT NOT NULL,
                    toNumber TEXT NOT NULL,
                    startedAt TIMESTAMPTZ(3) NOT NULL,
                    answeredAt TIMESTAMPTZ(3),
                    lastProgressAt TIMESTAMPTZ(3),
                    endedAt TIMESTAMPTZ(3),
                    ratePrefix TEXT,
                    ratePerMinuteMinorUnits BIGINT,
                    connectionFeeMinorUnits BIGINT,
                    firstIncrement BIGINT,
                    followingIncrement BIGINT,
                    charged BOOLEAN NOT NULL,
                    billedSeconds BIGINT NOT NULL DEFAULT 0,
                    costMinorUnits BIGINT NOT NULL DEFAULT 0,
                    currency TEXT NOT NULL,
                    disposition TEXT NOT NULL,
                    sipCause BIGINT,
                    isOpen BOOLEAN NOT NULL
                )
                """,
                "CREATE INDEX callLeg_started ON callLeg(startedAt)",
                "CREATE INDEX callLeg_account ON callLeg(accountID, startedAt)",
                "CREATE INDEX callLeg_open ON callLeg(reservationID) WHERE isOpen",
                """
                CREATE TABLE callbackRequest (
                    id BIGSERIAL PRIMARY KEY,
                    sourceKey TEXT UNIQUE,
                    accountID BIGINT REFERENCES account(id),
                    campaign TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    originNumber TEXT,
                    destinations TEXT NOT NULL,
                    callerID TEXT,
                    notBefore TIMESTAMPTZ(3) NOT NULL,
                    state TEXT NOT NULL CONSTRAINT callbackRequest_state
                        CHECK (state IN ('queued', 'claimed', 'done', 'failed', 'cancelled')),
                    attempts BIGINT NOT NULL DEFAULT 0,
                    claimedBy TEXT,
                    claimedAt TIMESTAMPTZ(3),
                    lastError TEXT,
                    createdAt TIMESTAMPTZ(3) NOT NULL,
                    updatedAt TIMESTAMPTZ(3) NOT NULL
                )
                """,
                "CREATE INDEX callbackRequest_due ON callbackRequest(state, notBefore)",
                """
                CREATE TABLE spoolOffset (
                    path TEXT PRIMARY KEY NOT NULL,
                    byteOffset BIGINT NOT NULL CHECK (byteOffset >= 0),
                    updatedAt TIMESTAMPTZ(3) NOT NULL
                )
                """,
            ]),
            // Issue 5, forward and fork: when an account's forward number is called, and after
            // how long a ringing phone counts as not answering.
            Migration(name: "v2 forward mode", statements: [
                """
                ALTER TABLE account
                    ADD COLUMN forwardMode TEXT NOT NULL DEFAULT 'no-answer'
                        CHECK (forwardMode IN ('none', 'unregistered', 'no-answer', 'fork')),
                    ADD COLUMN forwardAfterSeconds BIGINT NOT NULL DEFAULT 20
                        CHECK (forwardAfterSeconds BETWEEN 1 AND 600)
                """,
            ]),
            // PIN failures, per caller ID and per account, for the lockout of issue 6 ("fraud guards").
            Migration(name: "v3 PIN lockout", statements: [
                """
                CREATE TABLE pinFailure (
                    id BIGSERIAL PRIMARY KEY,
                    callerID TEXT,
                    accountID BIGINT REFERENCES account(id) ON DELETE CASCADE,
                    failedAt TIMESTAMPTZ(3) NOT NULL,
                    CHECK (callerID IS NOT NULL OR accountID IS NOT NULL)
                )
                """,
                "CREATE INDEX pinFailure_caller ON pinFailure(callerID, failedAt)",
                "CREATE INDEX pinFailure_account ON pinFailure(accountID, failedAt)",
            ]),
            // Issue 6, the callback queue: the states of the call (calling-a … connected) instead
            // of claimed/done, the number that triggered the callback and where its script starts,
            // and an index for the per-account limits. PostgreSQL alters the CHECK in place
            // (SQLite rebuilds the table); rows move claimed → calling-a, done → completed.
            Migration(name: "v4 callback states", statements: [
                """
                ALTER TABLE callbackRequest
                    ADD COLUMN accessNumber TEXT,
                    ADD COLUMN script TEXT,
                    ADD COLUMN node TEXT,
                    DROP CONSTRAINT callbackRequest_state
                """,
                """
                UPDATE callbackRequest
                SET state = CASE state WHEN 'claimed' THEN 'calling-a' WHEN 'done' THEN 'completed' ELSE state END
                WHERE state IN ('claimed', 'done')
                """,
                """
                ALTER TABLE callbackRequest
                    ADD CONSTRAINT callbackRequest_state
                        CHECK (state IN ('queued', 'calling-a', 'a-answered', 'calling-b', 'connected',
                                         'completed', 'failed', 'cancelled')),
                    ADD CONSTRAINT callbackRequest_attempts CHECK (attempts >= 0)
                """,
                "CREATE INDEX callbackRequest_account ON callbackRequest(accountID, createdAt)",
            ]),
            Migration(name: "v5 blocked prefixes", statements: [
                "ALTER TABLE ratePlan ADD COLUMN blockedPrefixes TEXT NOT NULL DEFAULT ''",
            ]),
            // The talk seconds, from its answer, that a leg's reservation pays for: settlement
            // and recovery never bill a leg beyond them (NULL on legs opened before v6).
            Migration(name: "v6 call leg granted seconds", statements: [
                "ALTER TABLE callLeg ADD COLUMN grantedSeconds BIGINT CHECK (grantedSeconds >= 0)",
            ]),
            // `CallTrigger`: the SIP triggers say they came over SIP, apart from the API's and SMS's.
            Migration(name: "v7 trigger names", statements: [
                "UPDATE callbackRequest SET trigger = 'sip-' || trigger WHERE trigger IN ('ani', 'pin', 'did')",
                "UPDATE callLeg SET trigger = 'sip-' || trigger WHERE trigger IN ('ani', 'pin', 'did')",
                "UPDATE reservation SET trigger = 'sip-' || trigger WHERE trigger IN ('ani', 'pin', 'did')",
            ]),
            // Issue 11 PINs: a salt per account (hashes keyed with the server's pepper,
            // PINHasher) and a 16-bit lookup bucket; rows without a salt keep their pre-v6 hash
            // until their next successful login rehashes them. PIN failures also count per
            // source address.
            Migration(name: "v8 PIN salt and source", statements: [
                "ALTER TABLE account ADD COLUMN pinSalt TEXT, ADD COLUMN pinBucket TEXT",
                "CREATE INDEX account_pinBucket ON account(pinBucket)",
                "ALTER TABLE pinFailure ADD COLUMN sourceAddress TEXT",
                "CREATE INDEX pinFailure_source ON pinFailure(sourceAddress, failedAt)",
                "CREATE INDEX pinFailure_time ON pinFailure(failedAt)",
            ]),
            // Issue 15, SMS callback: the durable outbox of replies (retried until the gateway
            // accepts them) and the inbound messages and credential failures the limits count.
            Migration(name: "v9 SMS outbox and activity", statements: [
                """
                CREATE TABLE smsOutbox (
                    id BIGSERIAL PRIMARY KEY,
                    gateway TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    recipient TEXT NOT NULL,
                    text TEXT NOT NULL,
                    accountID BIGINT REFERENCES account(id) ON DELETE SET NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
                    attempts BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    nextAttemptAt TIMESTAMPTZ(3) NOT NULL,
                    lastError TEXT,
                    createdAt TIMESTAMPTZ(3) NOT NULL,
                    sentAt TIMESTAMPTZ(3)
                )
                """,
                "CREATE INDEX smsOutbox_due ON smsOutbox(state, nextAttemptAt)",
                "CREATE INDEX smsOutbox_recipient ON smsOutbox(recipient)",
                """
                CREATE TABLE smsActivity (
                    id BIGSERIAL PRIMARY KEY,
                    kind TEXT NOT NULL CHECK (kind IN ('message', 'auth-failure')),
                    sender TEXT,
                    accountID BIGINT REFERENCES account(id) ON DELETE CASCADE,
                    at TIMESTAMPTZ(3) NOT NULL,
                    CHECK (sender IS NOT NULL OR accountID IS NOT NULL)
                )
                """,
                "CREATE INDEX smsActivity_sender ON smsActivity(kind, sender, at)",
                "CREATE INDEX smsActivity_account ON smsActivity(kind, accountID, at)",
            ]),
            // Every state a request passes through, appended by the database in the
            // transaction that moves it (no writer can forget one): the API's leg history
            // and the position its event stream resumes from.
            Migration(name: "v10 callback events", statements: [
                """
                CREATE TABLE callbackEvent (
                    id BIGSERIAL PRIMARY KEY,
                    requestID BIGINT NOT NULL REFERENCES callbackRequest(id) ON DELETE CASCADE,
                    fromState TEXT,
                    state TEXT NOT NULL,
                    error TEXT,
                    attempt BIGINT NOT NULL,
                    at TIMESTAMPTZ(3) NOT NULL
                )
                """,
                "CREATE INDEX callbackEvent_request ON callbackEvent(requestID, id)",
                """
                INSERT INTO callbackEvent (requestID, fromState, state, error, attempt, at)
                    SELECT id, NULL, state, lastError, attempts, updatedAt FROM callbackRequest ORDER BY id
                """,
                """
                CREATE FUNCTION callbackRequest_created() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO callbackEvent (requestID, fromState, state, error, attempt, at)
                    VALUES (NEW.id, NULL, NEW.state, NULL, NEW.attempts, NEW.createdAt);
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER callbackRequest_created AFTER INSERT ON callbackRequest
                FOR EACH ROW EXECUTE FUNCTION callbackRequest_created()
                """,
                """
                CREATE FUNCTION callbackRequest_moved() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO callbackEvent (requestID, fromState, state, error, attempt, at)
                    VALUES (NEW.id, OLD.state, NEW.state,
                            CASE WHEN NEW.lastError IS DISTINCT FROM OLD.lastError THEN NEW.lastError END,
                            NEW.attempts, NEW.updatedAt);
                    RETURN NULL;
                END
                $$
                """,
                """
                CREATE TRIGGER callbackRequest_moved AFTER UPDATE OF state ON callbackRequest
                FOR EACH ROW WHEN (NEW.state IS DISTINCT FROM OLD.state) EXECUTE FUNCTION callbackRequest_moved()
                """,
            ]),
            // The registrar's bindings, so a restart does not forget the phones (issue 16):
            // one row per contact of an address-of-record, replaced as a set per REGISTER.
            Migration(name: "v11 registration bindings", statements: [
                """
                CREATE TABLE registrationBinding (
                    id BIGSERIAL PRIMARY KEY,
                    "user" TEXT NOT NULL,
                    domain TEXT NOT NULL,
                    contact TEXT NOT NULL,
                    expiresAt TIMESTAMPTZ(3) NOT NULL,
                    qThousandths BIGINT CHECK (qThousandths BETWEEN 0 AND 1000),
                    callID TEXT NOT NULL,
                    cseq BIGINT NOT NULL CHECK (cseq >= 0),
                    registeredAt TIMESTAMPTZ(3) NOT NULL,
                    sourceTransport TEXT CHECK (sourceTransport IN ('UDP', 'TCP')),
                    sourceHost TEXT,
                    sourcePort BIGINT CHECK (sourcePort BETWEEN 0 AND 65535),
                    userAgent TEXT
                )
                """,
                "CREATE INDEX registrationBinding_address ON registrationBinding(\"user\", domain)",
                "CREATE INDEX registrationBinding_expiry ON registrationBinding(expiresAt)",
            ]),
            // The Path of a REGISTER (RFC 3327, issue 17): behind an edge proxy (Kamailio)
            // a phone is reached only through it, from whichever node calls it.
            Migration(name: "v12 registration path", statements: [
                "ALTER TABLE registrationBinding ADD COLUMN path TEXT",
            ]),
            // Issue 17, several nodes on one database: each node holds a lease it renews;
            // reservations and callback claims record the node they belong to, so a node
            // recovers its own after a restart and a survivor takes over those of a node
            // whose lease ran out.
            Migration(name: "v13 nodes and leases", statements: [
                """
                CREATE TABLE node (
                    id TEXT PRIMARY KEY NOT NULL,
                    leaseUntil TIMESTAMPTZ(3) NOT NULL
                )
                """,
                "ALTER TABLE reservation ADD COLUMN node TEXT",
                "CREATE INDEX reservation_node ON reservation(node) WHERE state = 'open'",
                "ALTER TABLE callbackRequest ADD COLUMN claimedNode TEXT",
                "CREATE INDEX callbackRequest_claimedNode ON callbackRequest(claimedNode) WHERE claimedNode IS NOT NULL",
            ]),
        ]
    }
}
