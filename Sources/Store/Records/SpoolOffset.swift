import Foundation

/// How far a transaction spool file has been read (table `spoolOffset`).
public struct SpoolOffset: Codable, Sendable, Hashable {
    public var path: String
    public var byteOffset: Int64
    public var updatedAt: Date
}
