import Foundation

/// Per-account named numbers (SMS `B.<name>` and `N<k>`).
public protocol AddressBookStore: Sendable {
    /// Adds an entry in `slot`, or in the lowest free slot when nil.
    func addAddressBookEntry(account id: Int64, slot: Int?, name: String, number: String) throws -> AddressBookEntry
    /// Removes the entry with that slot number or (case-insensitive) name.
    func removeAddressBookEntry(account id: Int64, slotOrName: String) throws
    func addressBook(account id: Int64) throws -> [AddressBookEntry]
    func addressBookEntry(account id: Int64, slot: Int) throws -> AddressBookEntry?
    func addressBookEntry(account id: Int64, name: String) throws -> AddressBookEntry?
}
