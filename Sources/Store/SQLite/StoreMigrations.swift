import GRDB

/// The database schema as named, append-only migrations (plain SQL). A shipped migration is
/// never edited: changes are new migrations appended at the end.
///
/// Money columns hold ten-thousandths of the currency unit (`Billing.Money.minorUnits`).
/// Dates are GRDB's UTC text ("yyyy-MM-dd HH:mm:ss.SSS"), which sorts chronologically.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 accounts, rates, billing, CDRs, callback queue") { db in
            try db.execute(sql: """
                CREATE TABLE setting (
                    key TEXT PRIMARY KEY NOT NULL,
                    value TEXT NOT NULL
                );
                -- Salt of the keyed PIN hash: random per database, made once here.
                INSERT INTO setting (key, value) VALUES ('pinSalt', lower(hex(randomblob(16))));

                CREATE TABLE accountLot (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    size INTEGER NOT NULL,
                    createdAt DATETIME NOT NULL
                );

                CREATE TABLE account (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    login TEXT NOT NULL UNIQUE,
                    passwordHash TEXT NOT NULL,
                    sipRealm TEXT NOT NULL,
                    sipHA1 TEXT NOT NULL,
                    sipHA1SHA256 TEXT NOT NULL,
                    pinHash TEXT UNIQUE,
                    balanceMinorUnits INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    ratePlan TEXT,
                    forwardNumber TEXT,
                    personalDID TEXT UNIQUE,
                    maxConcurrentCalls INTEGER NOT NULL DEFAULT 0 CHECK (maxConcurrentCalls >= 0),
                    dailySpendLimitMinorUnits INTEGER CHECK (dailySpendLimitMinorUnits >= 0),
                    state TEXT NOT NULL CHECK (state IN ('active', 'locked')),
                    lotID INTEGER REFERENCES accountLot(id),
                    createdAt DATETIME NOT NULL
                );

                CREATE TABLE authorisedCallerID (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accountID INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    number TEXT NOT NULL UNIQUE,
                    createdAt DATETIME NOT NULL
                );
                CREATE INDEX authorisedCallerID_account ON authorisedCallerID(accountID);

                CREATE TABLE addressBookEntry (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accountID INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    slot INTEGER NOT NULL CHECK (slot >= 1),
                    name TEXT NOT NULL,
                    number TEXT NOT NULL,
                    UNIQUE (accountID, slot),
                    UNIQUE (accountID, name COLLATE NOCASE)
                );

                CREATE TABLE ratePlan (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    name TEXT NOT NULL UNIQUE,
                    currency TEXT NOT NULL,
                    chargesALeg BOOLEAN NOT NULL,
                    updatedAt DATETIME NOT NULL
                );

                CREATE TABLE rate (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    planID INTEGER NOT NULL REFERENCES ratePlan(id) ON DELETE CASCADE,
                    prefix TEXT NOT NULL,
                    description TEXT NOT NULL,
                    perMinuteMinorUnits INTEGER NOT NULL CHECK (perMinuteMinorUnits >= 0),
                    connectionFeeMinorUnits INTEGER NOT NULL CHECK (connectionFeeMinorUnits >= 0),
                    firstIncrement INTEGER NOT NULL CHECK (firstIncrement >= 1),
                    followingIncrement INTEGER NOT NULL CHECK (followingIncrement >= 1),
                    UNIQUE (planID, prefix)
                );

                CREATE TABLE reservation (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accountID INTEGER NOT NULL REFERENCES account(id),
                    amountMinorUnits INTEGER NOT NULL CHECK (amountMinorUnits >= 0),
                    currency TEXT NOT NULL,
                    maxDurationSeconds INTEGER,
                    campaign TEXT,
                    trigger TEXT,
                    state TEXT NOT NULL CHECK (state IN ('open', 'settled')),
                    chargedMinorUnits INTEGER,
                    createdAt DATETIME NOT NULL,
                    settledAt DATETIME
                );
                CREATE INDEX reservation_open ON reservation(accountID) WHERE state = 'open';

                CREATE TABLE ledgerEntry (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accountID INTEGER NOT NULL REFERENCES account(id),
                    kind TEXT NOT NULL,
                    amountMinorUnits INTEGER NOT NULL,
                    balanceAfterMinorUnits INTEGER NOT NULL,
                    currency TEXT NOT NULL,
                    reservationID INTEGER UNIQUE REFERENCES reservation(id),
                    note TEXT,
                    createdAt DATETIME NOT NULL
                );
                CREATE INDEX ledgerEntry_account ON ledgerEntry(accountID, createdAt);

                CREATE TABLE callLeg (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    accountID INTEGER REFERENCES account(id),
                    reservationID INTEGER REFERENCES reservation(id),
                    campaign TEXT,
                    trigger TEXT,
                    leg TEXT NOT NULL CHECK (leg IN ('a', 'b')),
                    fromNumber TEXT NOT NULL,
                    toNumber TEXT NOT NULL,
                    startedAt DATETIME NOT NULL,
                    answeredAt DATETIME,
                    lastProgressAt DATETIME,
                    endedAt DATETIME,
                    ratePrefix TEXT,
                    ratePerMinuteMinorUnits INTEGER,
                    connectionFeeMinorUnits INTEGER,
                    firstIncrement INTEGER,
                    followingIncrement INTEGER,
                    charged BOOLEAN NOT NULL,
                    billedSeconds INTEGER NOT NULL DEFAULT 0,
                    costMinorUnits INTEGER NOT NULL DEFAULT 0,
                    currency TEXT NOT NULL,
                    disposition TEXT NOT NULL,
                    sipCause INTEGER,
                    isOpen BOOLEAN NOT NULL
                );
                CREATE INDEX callLeg_started ON callLeg(startedAt);
                CREATE INDEX callLeg_account ON callLeg(accountID, startedAt);
                CREATE INDEX callLeg_open ON callLeg(reservationID) WHERE isOpen;

                CREATE TABLE callbackRequest (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sourceKey TEXT UNIQUE,
                    accountID INTEGER REFERENCES account(id),
                    campaign TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    originNumber TEXT,
                    destinations TEXT NOT NULL,
                    callerID TEXT,
                    notBefore DATETIME NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'done', 'failed', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0,
                    claimedBy TEXT,
                    claimedAt DATETIME,
                    lastError TEXT,
                    createdAt DATETIME NOT NULL,
                    updatedAt DATETIME NOT NULL
                );
                CREATE INDEX callbackRequest_due ON callbackRequest(state, notBefore);

                CREATE TABLE spoolOffset (
                    path TEXT PRIMARY KEY NOT NULL,
                    byteOffset INTEGER NOT NULL CHECK (byteOffset >= 0),
                    updatedAt DATETIME NOT NULL
                );
                """)
        }
        // Issue 5, forward and fork: when an account's forward number is called, and after
        // how long a ringing phone counts as not answering.
        migrator.registerMigration("v2 forward mode") { db in
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN forwardMode TEXT NOT NULL DEFAULT 'no-answer'
                    CHECK (forwardMode IN ('none', 'unregistered', 'no-answer', 'fork'));
                ALTER TABLE account ADD COLUMN forwardAfterSeconds INTEGER NOT NULL DEFAULT 20
                    CHECK (forwardAfterSeconds BETWEEN 1 AND 600);
                """)
        }
        // PIN failures, per caller ID and per account, for the lockout of issue 6 ("fraud guards").
        migrator.registerMigration("v3 PIN lockout") { db in
            try db.execute(sql: """
                CREATE TABLE pinFailure (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    callerID TEXT,
                    accountID INTEGER REFERENCES account(id) ON DELETE CASCADE,
                    failedAt DATETIME NOT NULL,
                    CHECK (callerID IS NOT NULL OR accountID IS NOT NULL)
                );
                CREATE INDEX pinFailure_caller ON pinFailure(callerID, failedAt);
                CREATE INDEX pinFailure_account ON pinFailure(accountID, failedAt);
                """)
        }
        // Issue 6, the callback queue: the states of the call (calling-a … connected) instead
        // of claimed/done, the number that triggered the callback and where its script starts,
        // and an index for the per-account limits. SQLite cannot alter a CHECK constraint, so
        // the table is rebuilt with its rows (claimed → calling-a, done → completed).
        migrator.registerMigration("v4 callback states") { db in
            try db.execute(sql: """
                CREATE TABLE callbackRequest_v5 (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sourceKey TEXT UNIQUE,
                    accountID INTEGER REFERENCES account(id),
                    campaign TEXT NOT NULL,
                    trigger TEXT NOT NULL,
                    originNumber TEXT,
                    destinations TEXT NOT NULL,
                    callerID TEXT,
                    accessNumber TEXT,
                    script TEXT,
                    node TEXT,
                    notBefore DATETIME NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'calling-a', 'a-answered', 'calling-b', 'connected',
                                                         'completed', 'failed', 'cancelled')),
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    claimedBy TEXT,
                    claimedAt DATETIME,
                    lastError TEXT,
                    createdAt DATETIME NOT NULL,
                    updatedAt DATETIME NOT NULL
                );
                INSERT INTO callbackRequest_v5 (id, sourceKey, accountID, campaign, trigger, originNumber, destinations,
                                                callerID, notBefore, state, attempts, claimedBy, claimedAt, lastError,
                                                createdAt, updatedAt)
                    SELECT id, sourceKey, accountID, campaign, trigger, originNumber, destinations, callerID, notBefore,
                           CASE state WHEN 'claimed' THEN 'calling-a' WHEN 'done' THEN 'completed' ELSE state END,
                           attempts, claimedBy, claimedAt, lastError, createdAt, updatedAt
                    FROM callbackRequest;
                DROP TABLE callbackRequest;
                ALTER TABLE callbackRequest_v5 RENAME TO callbackRequest;
                CREATE INDEX callbackRequest_due ON callbackRequest(state, notBefore);
                CREATE INDEX callbackRequest_account ON callbackRequest(accountID, createdAt);
                """)
        }
        migrator.registerMigration("v5 blocked prefixes") { db in
            try db.execute(sql: "ALTER TABLE ratePlan ADD COLUMN blockedPrefixes TEXT NOT NULL DEFAULT ''")
        }
        migrator.registerMigration("v6 call leg granted seconds") { db in
            // The talk seconds, from its answer, that a leg's reservation pays for: settlement
            // and recovery never bill a leg beyond them (NULL on legs opened before v6).
            try db.execute(sql: "ALTER TABLE callLeg ADD COLUMN grantedSeconds INTEGER CHECK (grantedSeconds >= 0)")
        }
        migrator.registerMigration("v7 trigger names") { db in
            // `CallTrigger`: the SIP triggers say they came over SIP, apart from the API's and SMS's.
            try db.execute(sql: """
                UPDATE callbackRequest SET trigger = 'sip-' || trigger WHERE trigger IN ('ani', 'pin', 'did');
                UPDATE callLeg SET trigger = 'sip-' || trigger WHERE trigger IN ('ani', 'pin', 'did');
                UPDATE reservation SET trigger = 'sip-' || trigger WHERE trigger IN ('ani', 'pin', 'did');
                """)
        }
        // Issue 11 PINs: a salt per account (hashes keyed with the server's pepper,
        // PINHasher) and a 16-bit lookup bucket; rows without a salt keep their pre-v6 hash
        // until their next successful login rehashes them. PIN failures also count per
        // source address.
        migrator.registerMigration("v8 PIN salt and source") { db in
            try db.execute(sql: """
                ALTER TABLE account ADD COLUMN pinSalt TEXT;
                ALTER TABLE account ADD COLUMN pinBucket TEXT;
                CREATE INDEX account_pinBucket ON account(pinBucket);
                ALTER TABLE pinFailure ADD COLUMN sourceAddress TEXT;
                CREATE INDEX pinFailure_source ON pinFailure(sourceAddress, failedAt);
                CREATE INDEX pinFailure_time ON pinFailure(failedAt);
                """)
        }
        // Issue 15, SMS callback: the durable outbox of replies (retried until the gateway
        // accepts them) and the inbound messages and credential failures the limits count.
        migrator.registerMigration("v9 SMS outbox and activity") { db in
            try db.execute(sql: """
                CREATE TABLE smsOutbox (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    gateway TEXT NOT NULL,
                    sender TEXT NOT NULL,
                    recipient TEXT NOT NULL,
                    text TEXT NOT NULL,
                    accountID INTEGER REFERENCES account(id) ON DELETE SET NULL,
                    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'failed')),
                    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
                    nextAttemptAt DATETIME NOT NULL,
                    lastError TEXT,
                    createdAt DATETIME NOT NULL,
                    sentAt DATETIME
                );
                CREATE INDEX smsOutbox_due ON smsOutbox(state, nextAttemptAt);
                CREATE INDEX smsOutbox_recipient ON smsOutbox(recipient);

                CREATE TABLE smsActivity (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL CHECK (kind IN ('message', 'auth-failure')),
                    sender TEXT,
                    accountID INTEGER REFERENCES account(id) ON DELETE CASCADE,
                    at DATETIME NOT NULL,
                    CHECK (sender IS NOT NULL OR accountID IS NOT NULL)
                );
                CREATE INDEX smsActivity_sender ON smsActivity(kind, sender, at);
                CREATE INDEX smsActivity_account ON smsActivity(kind, accountID, at);
                """)
        }
        migrator.registerMigration("v10 callback events") { db in
            // Every state a request passes through, appended by the database in the
            // transaction that moves it (no writer can forget one): the API's leg history
            // and the position its event stream resumes from.
            try db.execute(sql: """
                CREATE TABLE callbackEvent (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    requestID INTEGER NOT NULL REFERENCES callbackRequest(id) ON DELETE CASCADE,
                    fromState TEXT,
                    state TEXT NOT NULL,
                    error TEXT,
                    attempt INTEGER NOT NULL,
                    at DATETIME NOT NULL
                );
                CREATE INDEX callbackEvent_request ON callbackEvent(requestID, id);
                INSERT INTO callbackEvent (requestID, fromState, state, error, attempt, at)
                    SELECT id, NULL, state, lastError, attempts, updatedAt FROM callbackRequest;
                CREATE TRIGGER callbackRequest_created AFTER INSERT ON callbackRequest BEGIN
                    INSERT INTO callbackEvent (requestID, fromState, state, error, attempt, at)
                    VALUES (NEW.id, NULL, NEW.state, NULL, NEW.attempts, NEW.createdAt);
                END;
                CREATE TRIGGER callbackRequest_moved AFTER UPDATE OF state ON callbackRequest
                WHEN NEW.state IS NOT OLD.state BEGIN
                    INSERT INTO callbackEvent (requestID, fromState, state, error, attempt, at)
                    VALUES (NEW.id, OLD.state, NEW.state,
                            CASE WHEN NEW.lastError IS NOT OLD.lastError THEN NEW.lastError END,
                            NEW.attempts, NEW.updatedAt);
                END;
                """)
        }
        migrator.registerMigration("v11 registration bindings") { db in
            // The registrar's bindings, so a restart does not forget the phones (issue 16):
            // one row per contact of an address-of-record, replaced as a set per REGISTER.
            try db.execute(sql: """
                CREATE TABLE registrationBinding (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    user TEXT NOT NULL,
                    domain TEXT NOT NULL,
                    contact TEXT NOT NULL,
                    expiresAt DATETIME NOT NULL,
                    qThousandths INTEGER CHECK (qThousandths BETWEEN 0 AND 1000),
                    callID TEXT NOT NULL,
                    cseq INTEGER NOT NULL CHECK (cseq >= 0),
                    registeredAt DATETIME NOT NULL,
                    sourceTransport TEXT CHECK (sourceTransport IN ('UDP', 'TCP')),
                    sourceHost TEXT,
                    sourcePort INTEGER CHECK (sourcePort BETWEEN 0 AND 65535),
                    userAgent TEXT
                );
                CREATE INDEX registrationBinding_address ON registrationBinding(user, domain);
                CREATE INDEX registrationBinding_expiry ON registrationBinding(expiresAt);
                """)
        }
        migrator.registerMigration("v12 registration path") { db in
            // The Path of a REGISTER (RFC 3327, issue 17): behind an edge proxy (Kamailio)
            // a phone is reached only through it, from whichever node calls it.
            try db.execute(sql: "ALTER TABLE registrationBinding ADD COLUMN path TEXT")
        }
        migrator.registerMigration("v13 nodes and leases") { db in
            // Issue 17, several nodes on one database: each node holds a lease it renews;
            // reservations and callback claims record the node they belong to, so a node
            // recovers its own after a restart and a survivor takes over those of a node
            // whose lease ran out. (The embedded store is one node, "local".)
            try db.execute(sql: """
                CREATE TABLE node (
                    id TEXT PRIMARY KEY NOT NULL,
                    leaseUntil DATETIME NOT NULL
                );
                ALTER TABLE reservation ADD COLUMN node TEXT;
                CREATE INDEX reservation_node ON reservation(node) WHERE state = 'open';
                ALTER TABLE callbackRequest ADD COLUMN claimedNode TEXT;
                CREATE INDEX callbackRequest_claimedNode ON callbackRequest(claimedNode) WHERE claimedNode IS NOT NULL;
                """)
        }
        return migrator
    }
}
