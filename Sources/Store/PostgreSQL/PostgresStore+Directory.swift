import Foundation
import PostgresNIO

// The account's directory: authorised caller IDs and the address book.

extension PostgresStore: CallerIDStore {
    public func authoriseCallerID(_ number: String, account id: Int64, at now: Date) throws -> AuthorisedCallerID {
        do {
            return try insertCallerID(number, account: id, at: now)
        } catch let error as StoreError where error.isUniqueViolation {
            // Another node authorised the number between the check and the insert: answer
            // as if it had come first.
            return try insertCallerID(number, account: id, at: now)
        }
    }

    private func insertCallerID(_ number: String, account id: Int64, at now: Date) throws -> AuthorisedCallerID {
        try transaction { db in
            guard try Self.account(db, id: id) != nil else { throw StoreError.unknownAccount("#\(id)") }
            if let existing = try db.fetchOne("""
                SELECT \(unescaped: AuthorisedCallerID.pgColumns) FROM authorisedCallerID WHERE number = \(number)
                """, AuthorisedCallerID.init(pgRow:)) {
                if existing.accountID == id { return existing }
                let owner = try Self.account(db, id: existing.accountID)?.login ?? "#\(existing.accountID)"
                throw StoreError.callerIDTaken(number: number, login: owner)
            }
            let callerID = try db.fetchOne("""
                INSERT INTO authorisedCallerID (accountID, number, createdAt) VALUES (\(id), \(number), \(now))
                RETURNING \(unescaped: AuthorisedCallerID.pgColumns)
                """, AuthorisedCallerID.init(pgRow:))
            guard let callerID else { throw StoreError.corruptRow("authorisedCallerID insert returned no row") }
            return callerID
        }
    }

    public func revokeCallerID(_ number: String, account id: Int64) throws {
        try transaction { db in
            guard try db.execute("DELETE FROM authorisedCallerID WHERE number = \(number) AND accountID = \(id)") > 0 else {
                throw StoreError.unknownCallerID(number)
            }
        }
    }

    public func callerIDs(account id: Int64) throws -> [AuthorisedCallerID] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: AuthorisedCallerID.pgColumns) FROM authorisedCallerID WHERE accountID = \(id)
                ORDER BY number
                """, AuthorisedCallerID.init(pgRow:))
        }
    }

    public func account(callerID number: String) throws -> Account? {
        try read { db in
            try db.fetchOne("""
                SELECT \(unescaped: Account.pgColumns) FROM account
                WHERE id = (SELECT accountID FROM authorisedCallerID WHERE number = \(number))
                """, Account.init(pgRow:))
        }
    }
}

extension PostgresStore: AddressBookStore {
    public func addAddressBookEntry(account id: Int64, slot: Int?, name: String, number: String) throws -> AddressBookEntry {
        try transaction { db in
            // Locks the account's row: two nodes adding to one address book take turns.
            guard try Self.account(db, id: id, forUpdate: true) != nil else { throw StoreError.unknownAccount("#\(id)") }
            let existing = try db.fetchAll("""
                SELECT \(unescaped: AddressBookEntry.pgColumns) FROM addressBookEntry WHERE accountID = \(id)
                """, AddressBookEntry.init(pgRow:))
            if existing.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                throw StoreError.addressBookNameTaken(name)
            }
            let chosen: Int
            if let slot {
                guard slot >= 1 else { throw StoreError.unknownAddressBookEntry(String(slot)) }
                guard !existing.contains(where: { $0.slot == slot }) else { throw StoreError.addressBookSlotTaken(slot) }
                chosen = slot
            } else {
                let used = Set(existing.map(\.slot))
                chosen = (1...).first { !used.contains($0) }!
            }
            guard let entry = try db.fetchOne("""
                INSERT INTO addressBookEntry (accountID, slot, name, number) VALUES (\(id), \(chosen), \(name), \(number))
                RETURNING \(unescaped: AddressBookEntry.pgColumns)
                """, AddressBookEntry.init(pgRow:)) else { throw StoreError.corruptRow("addressBookEntry insert returned no row") }
            return entry
        }
    }

    public func removeAddressBookEntry(account id: Int64, slotOrName: String) throws {
        try transaction { db in
            let deleted: Int
            if let slot = Int(slotOrName) {
                deleted = try db.execute("DELETE FROM addressBookEntry WHERE accountID = \(id) AND slot = \(slot)")
            } else {
                deleted = try db.execute("""
                    DELETE FROM addressBookEntry WHERE accountID = \(id) AND lower(name) = lower(\(slotOrName))
                    """)
            }
            guard deleted > 0 else { throw StoreError.unknownAddressBookEntry(slotOrName) }
        }
    }

    public func addressBook(account id: Int64) throws -> [AddressBookEntry] {
        try read { db in
            try db.fetchAll("""
                SELECT \(unescaped: AddressBookEntry.pgColumns) FROM addressBookEntry WHERE accountID = \(id) ORDER BY slot
                """, AddressBookEntry.init(pgRow:))
        }
    }

    public func addressBookEntry(account id: Int64, slot: Int) throws -> AddressBookEntry? {
        try read { db in
            try db.fetchOne("""
                SELECT \(unescaped: AddressBookEntry.pgColumns) FROM addressBookEntry WHERE accountID = \(id) AND slot = \(slot)
                """, AddressBookEntry.init(pgRow:))
        }
    }

    public func addressBookEntry(account id: Int64, name: String) throws -> AddressBookEntry? {
        try read { db in
            try db.fetchOne("""
                SELECT \(unescaped: AddressBookEntry.pgColumns) FROM addressBookEntry
                WHERE accountID = \(id) AND lower(name) = lower(\(name))
                """, AddressBookEntry.init(pgRow:))
        }
    }
}
