import Foundation
import GRDB

extension SQLiteStore: AddressBookStore {
    public func addAddressBookEntry(account id: Int64, slot: Int?, name: String, number: String) throws -> AddressBookEntry {
        try writer.write { db in
            guard try Account.fetchOne(db, cachedKey: id) != nil else { throw StoreError.unknownAccount("#\(id)") }
            let existing = try AddressBookEntry.filter(AddressBookEntry.SQLColumns.accountID == id).fetchAll(db)
            if existing.contains(where: { $0.name.lowercased() == name.lowercased() }) {
                throw StoreError.addressBookNameTaken(name)
            }
            let chosen: Int
            if let slot {
                guard slot >= 1 else { throw StoreError.unknownAddressBookEntry(String(slot)) }
                guard !existing.contains(where: { $0.slot == slot }) else { throw StoreError.addressBookSlotTaken(slot) }
                chosen = slot
            } else {
                let used = Set(existing.map(\.slot))
                chosen = (1...).first { !used.contains($0) }!
            }
            var entry = AddressBookEntry(id: nil, accountID: id, slot: chosen, name: name, number: number)
            try entry.insert(db)
            return entry
        }
    }

    public func removeAddressBookEntry(account id: Int64, slotOrName: String) throws {
        try writer.write { db in
            var request = AddressBookEntry.filter(AddressBookEntry.SQLColumns.accountID == id)
            if let slot = Int(slotOrName) {
                request = request.filter(AddressBookEntry.SQLColumns.slot == slot)
            } else {
                request = request.filter(AddressBookEntry.SQLColumns.name.collating(.nocase) == slotOrName)
            }
            guard try request.deleteAll(db) > 0 else { throw StoreError.unknownAddressBookEntry(slotOrName) }
        }
    }

    public func addressBook(account id: Int64) throws -> [AddressBookEntry] {
        try writer.read { db in
            try AddressBookEntry.filter(AddressBookEntry.SQLColumns.accountID == id)
                .order(AddressBookEntry.SQLColumns.slot).fetchAll(db)
        }
    }

    public func addressBookEntry(account id: Int64, slot: Int) throws -> AddressBookEntry? {
        try writer.read { db in
            try AddressBookEntry
                .filter(AddressBookEntry.SQLColumns.accountID == id && AddressBookEntry.SQLColumns.slot == slot)
                .fetchOne(db)
        }
    }

    public func addressBookEntry(account id: Int64, name: String) throws -> AddressBookEntry? {
        try writer.read { db in
            try AddressBookEntry
                .filter(AddressBookEntry.SQLColumns.accountID == id && AddressBookEntry.SQLColumns.name.collating(.nocase) == name)
                .fetchOne(db)
        }
    }
}
