import Billing
import Foundation

/// What a store operation refused, naming what was wrong.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    case loginTaken(String)
    case invalidLogin(String)
    case invalidPIN(reason: String)
    case pinTaken
    case personalDIDTaken(String)
    case unknownAccount(String)
    case unknownRatePlan(String)
    case currencyMismatch(expected: String, found: String)
    case nonPositiveAmount(Money)
    case callerIDTaken(number: String, login: String)
    case unknownCallerID(String)
    case addressBookSlotTaken(Int)
    case addressBookNameTaken(String)
    case unknownAddressBookEntry(String)
    case lotNameTaken(String)
    case unknownReservation(Int64)
    case reservationAlreadySettled(Int64)
    case unknownCallLeg(Int64)
    case legNotInReservation(leg: Int64, reservation: Int64)
    case unknownCallbackRequest(Int64)
    case invalidCallbackTransition(id: Int64, from: CallbackRequest.State, to: CallbackRequest.State)
    case corruptRow(String)
    /// An operator debit larger than the free balance (balance minus open reservations).
    case debitExceedsFreeBalance(requested: Money, balance: Money, reserved: Money)
    /// A registration binding handed to replace the bindings of another address-of-record.
    case bindingOfAnotherAddress(binding: String, expected: String)
    /// The PostgreSQL database cannot be reached (`url` is shown without its password).
    case databaseUnavailable(url: String, reason: String)
    /// The PostgreSQL server refused a statement (SQLSTATE and its message).
    case databaseFailed(sqlState: String, message: String)

    public var description: String {
        switch self {
        case let .loginTaken(login): return "login \"\(login)\" already exists"
        case let .invalidLogin(login): return "invalid login \"\(login)\": use 1–64 letters, digits, '.', '_', '-' or '@'"
        case let .invalidPIN(reason): return "invalid PIN: \(reason)"
        case .pinTaken: return "PIN already used by another account"
        case let .personalDIDTaken(did): return "personal DID \(did) already belongs to another account"
        case let .unknownAccount(account): return "no account \(account)"
        case let .unknownRatePlan(plan): return "no rate plan \"\(plan)\""
        case let .currencyMismatch(expected, found): return "currency mismatch: account uses \(expected), amount is in \(found)"
        case let .nonPositiveAmount(amount): return "amount must be positive, got \(amount)"
        case let .callerIDTaken(number, login): return "caller ID \(number) already authorised for \(login)"
        case let .unknownCallerID(number): return "caller ID \(number) is not authorised"
        case let .addressBookSlotTaken(slot): return "address book entry \(slot) already exists"
        case let .addressBookNameTaken(name): return "address book name \"\(name)\" already exists"
        case let .unknownAddressBookEntry(entry): return "no address book entry \(entry)"
        case let .lotNameTaken(name): return "lot \"\(name)\" already exists"
        case let .unknownReservation(id): return "no reservation \(id)"
        case let .reservationAlreadySettled(id): return "reservation \(id) is already settled"
        case let .unknownCallLeg(id): return "no call leg \(id)"
        case let .legNotInReservation(leg, reservation): return "call leg \(leg) does not belong to reservation \(reservation)"
        case let .unknownCallbackRequest(id): return "no callback request \(id)"
        case let .invalidCallbackTransition(id, from, to): return "callback request \(id) cannot go from \(from.rawValue) to \(to.rawValue)"
        case let .corruptRow(what): return "corrupt row: \(what)"
        case let .bindingOfAnotherAddress(binding, expected):
            return "registration binding of \(binding) given to replace the bindings of \(expected)"
        case let .databaseUnavailable(url, reason): return "database \(url) is unavailable: \(reason)"
        case let .databaseFailed(sqlState, message): return "database error \(sqlState): \(message)"
        case let .debitExceedsFreeBalance(requested, balance, reserved):
            let free = Money(minorUnits: balance.minorUnits - reserved.minorUnits, currency: balance.currency)
            return "cannot debit \(requested): the balance is \(balance), of which \(reserved) is reserved by calls in "
                + "progress, so only \(free) is free"
        }
    }
}
