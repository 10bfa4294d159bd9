import Foundation

/// Mizu's `freeivraccess` / `freeaccessuserid`: unauthenticated callers may use the IVR,
/// billed to a named account.
public struct FreeIVRAccess: Sendable, Hashable {
    /// The login of the account such calls are billed to.
    public var account: String

    public init(account: String) {
        self.account = account
    }
}
