/// One page of a list the store keeps (CDRs, accounts) and how many items the whole list
/// has: what a page of a history that may be millions long needs, read in one go.
public struct StorePage<Item: Sendable & Hashable>: Sendable, Hashable {
    public var total: Int
    public var items: [Item]

    public init(total: Int, items: [Item]) {
        self.total = total
        self.items = items
    }
}

public typealias CallLegPage = StorePage<CallLeg>
public typealias AccountPage = StorePage<Account>
public typealias CallbackRequestPage = StorePage<CallbackRequest>
