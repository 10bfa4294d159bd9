import GRDB

// GRDB's record conformances of the Store's records. They live here, beside the SQL,
// so the records stay plain values and the protocols a PostgreSQL backend implements
// never mention GRDB. `SQLColumns` (not `Columns`, which GRDB would make public API) is
// internal to the SQLite code.

extension Account: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "account"

    enum SQLColumns {
        static let id = Column("id")
        static let login = Column("login")
        static let pinHash = Column("pinHash")
        static let pinSalt = Column("pinSalt")
        static let pinBucket = Column("pinBucket")
        static let balanceMinorUnits = Column("balanceMinorUnits")
        static let personalDID = Column("personalDID")
        static let state = Column("state")
        static let lotID = Column("lotID")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AccountLot: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "accountLot"

    enum SQLColumns {
        static let name = Column("name")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AddressBookEntry: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "addressBookEntry"

    enum SQLColumns {
        static let accountID = Column("accountID")
        static let slot = Column("slot")
        static let name = Column("name")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension AuthorisedCallerID: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "authorisedCallerID"

    enum SQLColumns {
        static let accountID = Column("accountID")
        static let number = Column("number")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension CallLeg: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "callLeg"

    enum SQLColumns {
        static let accountID = Column("accountID")
        static let reservationID = Column("reservationID")
        static let startedAt = Column("startedAt")
        static let isOpen = Column("isOpen")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension CallbackRequest: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "callbackRequest"

    enum SQLColumns {
        static let sourceKey = Column("sourceKey")
        static let accountID = Column("accountID")
        static let state = Column("state")
        static let notBefore = Column("notBefore")
        static let claimedBy = Column("claimedBy")
        static let claimedAt = Column("claimedAt")
        static let createdAt = Column("createdAt")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension LedgerEntry: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "ledgerEntry"

    enum SQLColumns {
        static let accountID = Column("accountID")
        static let kind = Column("kind")
        static let amountMinorUnits = Column("amountMinorUnits")
        static let createdAt = Column("createdAt")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension PINFailure: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "pinFailure"

    enum SQLColumns {
        static let callerID = Column("callerID")
        static let accountID = Column("accountID")
        static let failedAt = Column("failedAt")
        static let sourceAddress = Column("sourceAddress")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension RatePlanRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "ratePlan"

    enum SQLColumns {
        static let name = Column("name")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension RateRecord: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "rate"

    enum SQLColumns {
        static let planID = Column("planID")
        static let prefix = Column("prefix")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Reservation: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "reservation"

    enum SQLColumns {
        static let accountID = Column("accountID")
        static let amountMinorUnits = Column("amountMinorUnits")
        static let state = Column("state")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension SpoolOffset: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "spoolOffset"

    enum SQLColumns {
        static let path = Column("path")
    }
}

extension RegistrationBinding: FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "registrationBinding"

    enum SQLColumns {
        static let id = Column("id")
        static let user = Column("user")
        static let domain = Column("domain")
        static let expiresAt = Column("expiresAt")
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}
