import Foundation
import Store

/// Where a `dial` learns how a user's calls are forwarded: the account whose login is the
/// dialled number. Called off the SIP event loop (from a `Task`): an implementation may
/// block on its database.
protocol ForwardSettingsLookup: Sendable {
    /// The forwarding of the account `login`, or nil when no account has that login (or
    /// the account is locked: it receives no forwards).
    func forwardSettings(login: String) async -> ForwardPlan.Settings?
}

/// The Store's accounts as forward settings.
struct AccountForwardSettings: ForwardSettingsLookup {
    private let store: any AccountStore

    init(store: any AccountStore) {
        self.store = store
    }

    func forwardSettings(login: String) async -> ForwardPlan.Settings? {
        guard let account = try? store.account(login: login), account.state == .active else { return nil }
        return ForwardPlan.Settings(account: account)
    }
}
