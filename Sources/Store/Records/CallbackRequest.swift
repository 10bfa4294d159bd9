import Foundation
import GRDB

/// A queued request to call someone back (table `callbackRequest`): the durable queue that
/// survives restarts. A request moves queued → claimed → done | failed (or back to queued
/// for a retry); `sourceKey` makes enqueueing idempotent (one spool line, one request).
public struct CallbackRequest: Codable, Sendable, Hashable, Identifiable, FetchableRecord, MutablePersistableRecord {
    public enum State: String, Codable, Sendable, CaseIterable {
        case queued, claimed, done, failed, cancelled
    }

    public static let databaseTableName = "callbackRequest"
    public var id: Int64?
    public var sourceKey: String?
    public var accountID: Int64?
    public var campaign: String
    /// "web", "api", "spool", "sms", "ani", "pin", "did".
    public var trigger: String
    /// The number to call first (the user's own leg), if known.
    public var originNumber: String?
    /// Numbers to connect once the origin answers: one is a bridge, several a conference.
    public var destinations: [String]
    public var callerID: String?
    /// Not to be placed before this time (the callback delay, or a retry's back-off).
    public var notBefore: Date
    public var state: State
    public var attempts: Int
    public var claimedBy: String?
    public var claimedAt: Date?
    public var lastError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public enum Columns {
        public static let sourceKey = Column(CodingKeys.sourceKey)
        public static let state = Column(CodingKeys.state)
        public static let notBefore = Column(CodingKeys.notBefore)
        public static let claimedAt = Column(CodingKeys.claimedAt)
        public static let createdAt = Column(CodingKeys.createdAt)
    }

    public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

/// What to enqueue.
public struct NewCallbackRequest: Sendable, Hashable {
    public var sourceKey: String?
    public var accountID: Int64?
    public var campaign: String
    public var trigger: String
    public var originNumber: String?
    public var destinations: [String]
    public var callerID: String?
    public var notBefore: Date

    public init(sourceKey: String? = nil, accountID: Int64?, campaign: String, trigger: String,
                originNumber: String?, destinations: [String], callerID: String? = nil, notBefore: Date) {
        self.sourceKey = sourceKey
        self.accountID = accountID
        self.campaign = campaign
        self.trigger = trigger
        self.originNumber = originNumber
        self.destinations = destinations
        self.callerID = callerID
        self.notBefore = notBefore
    }
}
