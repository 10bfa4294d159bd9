import Foundation
import GRDB

extension SQLiteStore: RegistrationBindingStore {
    public func registrationBindings(liveAt now: Date) throws -> [RegistrationBinding] {
        try writer.read { db in
            try RegistrationBinding.filter(RegistrationBinding.SQLColumns.expiresAt > now)
                .order(RegistrationBinding.SQLColumns.user, RegistrationBinding.SQLColumns.domain,
                       RegistrationBinding.SQLColumns.id)
                .fetchAll(db)
        }
    }

    public func replaceRegistrationBindings(user: String, domain: String, with bindings: [RegistrationBinding]) throws {
        if let stray = bindings.first(where: { $0.user != user || $0.domain != domain }) {
            throw StoreError.bindingOfAnotherAddress(binding: "\(stray.user)@\(stray.domain)", expected: "\(user)@\(domain)")
        }
        try writer.write { db in
            _ = try RegistrationBinding.filter(RegistrationBinding.SQLColumns.user == user
                && RegistrationBinding.SQLColumns.domain == domain).deleteAll(db)
            for var binding in bindings {
                binding.id = nil
                try binding.insert(db)
            }
        }
    }

    public func deleteRegistrationBindings(expiredAt now: Date) throws -> Int {
        try writer.write { db in
            try RegistrationBinding.filter(RegistrationBinding.SQLColumns.expiresAt <= now).deleteAll(db)
        }
    }
}
