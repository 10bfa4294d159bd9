import Foundation

/// A named batch of generated accounts (table `accountLot`), e.g. a print run of cards.
public struct AccountLot: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var name: String
    public var size: Int
    public var createdAt: Date
}

/// One page of accounts by login (`AccountStore.accountPage`) and how many match in all.
public struct AccountPage: Sendable, Hashable {
    public var total: Int
    public var accounts: [Account]

    public init(total: Int, accounts: [Account]) {
        self.total = total
        self.accounts = accounts
    }
}
