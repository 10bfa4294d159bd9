import Foundation
import GRDB

extension SQLiteStore: RegistrationBindingStore {
    public func registrationBindings(liveAt now: Date) throws -> [RegistrationBinding] {
        try writer.read { db in
            try RegistrationBinding.fetchAll(db, cachedSQL: """
                SELECT * FROM registrationBinding WHERE expiresAt > ? ORDER BY user, domain, id
                """, arguments: [now])
        }
    }

    public func registrationBindings(user: String, domain: String, liveAt now: Date) throws -> [RegistrationBinding] {
        try writer.read { db in
            try RegistrationBinding.fetchAll(db, cachedSQL: """
                SELECT * FROM registrationBinding WHERE user = ? AND domain = ? AND expiresAt > ? ORDER BY id
                """, arguments: [user, domain, now])
        }
    }

    public func replaceRegistrationBindings(user: String, domain: String, with bindings: [RegistrationBinding]) throws {
        if let stray = bindings.first(where: { $0.user != user || $0.domain != domain }) {
            throw StoreError.bindingOfAnotherAddress(binding: "\(stray.user)@\(stray.domain)", expected: "\(user)@\(domain)")
        }
        try writer.write { db in
            try db.execute(cachedSQL: "DELETE FROM registrationBinding WHERE user = ? AND domain = ?", arguments: [user, domain])
            for var binding in bindings {
                binding.id = nil
                try binding.insert(db)
            }
        }
    }

    public func deleteRegistrationBindings(expiredAt now: Date) throws -> Int {
        try writer.write { db in
            try db.execute(cachedSQL: "DELETE FROM registrationBinding WHERE expiresAt <= ?", arguments: [now])
            return db.changesCount
        }
    }
}
