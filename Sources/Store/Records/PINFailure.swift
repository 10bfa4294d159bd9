import Foundation

/// One failed PIN entry (table `pinFailure`), by caller ID, from a source and/or against an account.
public struct PINFailure: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var callerID: String?
    public var accountID: Int64?
    public var failedAt: Date
    /// The transport source address of the call (issue 11), nil: unknown.
    public var sourceAddress: String?

    public init(id: Int64?, callerID: String?, accountID: Int64?, failedAt: Date, sourceAddress: String? = nil) {
        self.id = id
        self.callerID = callerID
        self.accountID = accountID
        self.failedAt = failedAt
        self.sourceAddress = sourceAddress
    }
}
