import Billing
import Foundation

/// The result of checking credentials.
public enum AuthenticationOutcome: Sendable, Hashable {
    case authenticated(Account)
    /// The credentials are right but the account is locked.
    case locked(Account)
    /// Unknown login, PIN or caller, or a wrong secret: deliberately not told apart.
    case rejected
}

/// Accounts, their credentials and operator balance changes.
public protocol AccountStore: Sendable {
    /// Opens an account, hashing its secrets, with an `initial` ledger entry for its balance.
    func createAccount(_ account: NewAccount, at now: Date) throws -> Account
    /// Opens several accounts as one named lot, all or none.
    func createLot(named name: String, accounts: [NewAccount], at now: Date) throws -> (AccountLot, [Account])
    func account(id: Int64) throws -> Account?
    func account(login: String) throws -> Account?
    /// The account whose personal DID was called (DID callback).
    func account(personalDID: String) throws -> Account?
    /// All accounts by login, or those of one lot.
    func accounts(lot: String?) throws -> [Account]
    /// `limit` accounts by login from `offset` on, of those whose login starts with
    /// `loginPrefix` (exactly, case and all; nil or empty: every account), and how many
    /// match: the operator's list, however many cards were generated.
    func accountPage(loginPrefix: String?, offset: Int, limit: Int) throws -> AccountPage
    func lots() throws -> [AccountLot]

    func authenticate(login: String, password: String) throws -> AuthenticationOutcome
    /// Finds the account a PIN belongs to (calling card, PIN callback).
    func authenticate(pin: String) throws -> AuthenticationOutcome
    /// Checks a PIN against one known account (ANI or DID identified it; PIN confirms).
    func verifyPIN(_ pin: String, account id: Int64) throws -> Bool

    /// Adds money; returns the ledger entry written with the new balance.
    func credit(account id: Int64, amount: Money, note: String?, at now: Date) throws -> LedgerEntry
    /// Removes money. Only the free balance can be taken (the balance minus open
    /// reservations): a larger debit throws `StoreError.debitExceedsFreeBalance`, naming the
    /// reserved amount, so calls in progress can always be settled.
    func debit(account id: Int64, amount: Money, note: String?, at now: Date) throws -> LedgerEntry
    func setState(_ state: AccountState, account id: Int64) throws
    /// Sets where and when the account's calls are forwarded: `number` (nil: none), the
    /// `mode`, and the seconds a phone rings before a `no-answer` forward (1...600).
    func setForwarding(number: String?, mode: ForwardMode, afterSeconds: Int, account id: Int64) throws -> Account
    /// Every balance change of the account, oldest first.
    func ledger(account id: Int64) throws -> [LedgerEntry]
}
