import Foundation
import Store

/// The Store's accounts as SIP credentials: an account's login is its SIP username, and
/// its `sipHA1` was computed for its `sipRealm` when the password was set. A locked
/// account cannot register.
public struct AccountCredentials: SIPCredentialsLookup {
    private let store: any AccountStore

    public init(store: any AccountStore) {
        self.store = store
    }

    public func ha1(username: String, realm: String) async -> String? {
        guard let account = try? store.account(login: username), account.sipRealm == realm,
              account.state == .active else { return nil }
        return account.sipHA1
    }
}
