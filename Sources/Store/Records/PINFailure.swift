import Foundation

/// One failed PIN entry (table `pinFailure`), by caller ID and/or against an account.
public struct PINFailure: Codable, Sendable, Hashable, Identifiable {
    public var id: Int64?
    public var callerID: String?
    public var accountID: Int64?
    public var failedAt: Date
}
