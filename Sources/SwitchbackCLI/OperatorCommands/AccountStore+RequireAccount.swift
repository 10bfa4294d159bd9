import Foundation
import Store

extension AccountStore {
    /// The account with `login`, or an error naming it.
    func requireAccount(_ login: String) throws -> Account {
        guard let account = try account(login: login) else { throw StoreError.unknownAccount(login) }
        return account
    }
}
