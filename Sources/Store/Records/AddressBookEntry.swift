import Foundation

/// A named number in an account's address book (table `addressBookEntry`); `slot` is the
/// `k` of the SMS command `N<k>`, `name` the `B.<name>`.
public struct AddressBookEntry: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var accountID: Int64
    public var slot: Int
    public var name: String
    public var number: String
}
