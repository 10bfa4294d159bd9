import Foundation

/// Phone numbers authorised to identify an account by caller ID (ANI).
public protocol CallerIDStore: Sendable {
    func authoriseCallerID(_ number: String, account id: Int64, at now: Date) throws -> AuthorisedCallerID
    /// Removes the number; throws `unknownCallerID` if it was not authorised for the account.
    func revokeCallerID(_ number: String, account id: Int64) throws
    func callerIDs(account id: Int64) throws -> [AuthorisedCallerID]
    /// The account a caller ID authenticates as, if any.
    func account(callerID number: String) throws -> Account?
}
