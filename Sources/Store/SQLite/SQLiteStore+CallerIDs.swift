import Foundation
import GRDB

extension SQLiteStore: CallerIDStore {
    public func authoriseCallerID(_ number: String, account id: Int64, at now: Date) throws -> AuthorisedCallerID {
        try writer.write { db in
            guard try Account.fetchOne(db, cachedKey: id) != nil else { throw StoreError.unknownAccount("#\(id)") }
            if let existing = try AuthorisedCallerID.filter(AuthorisedCallerID.SQLColumns.number == number).fetchOne(db) {
                if existing.accountID == id { return existing }
                let owner = try Account.fetchOne(db, cachedKey: existing.accountID)?.login ?? "#\(existing.accountID)"
                throw StoreError.callerIDTaken(number: number, login: owner)
            }
            var callerID = AuthorisedCallerID(id: nil, accountID: id, number: number, createdAt: now)
            try callerID.insert(db)
            return callerID
        }
    }

    public func revokeCallerID(_ number: String, account id: Int64) throws {
        try writer.write { db in
            let deleted = try AuthorisedCallerID
                .filter(AuthorisedCallerID.SQLColumns.number == number && AuthorisedCallerID.SQLColumns.accountID == id)
                .deleteAll(db)
            guard deleted > 0 else { throw StoreError.unknownCallerID(number) }
        }
    }

    public func callerIDs(account id: Int64) throws -> [AuthorisedCallerID] {
        try writer.read { db in
            try AuthorisedCallerID.fetchAll(db, cachedSQL: "SELECT * FROM authorisedCallerID WHERE accountID = ? ORDER BY number",
                                            arguments: [id])
        }
    }

    public func account(callerID number: String) throws -> Account? {
        try writer.read { db in
            guard let callerID = try AuthorisedCallerID.fetchOne(
                db, cachedSQL: "SELECT * FROM authorisedCallerID WHERE number = ?", arguments: [number])
            else { return nil }
            return try Account.fetchOne(db, cachedKey: callerID.accountID)
        }
    }
}
