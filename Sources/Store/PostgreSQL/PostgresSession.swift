import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import PostgresNIO

/// One borrowed connection, with synchronous queries: what the PostgreSQL store's code
/// writes SQL against (the counterpart of GRDB's `Database`). Server errors come out as
/// `StoreError.databaseFailed` with their SQLSTATE, a lost connection as
/// `StoreError.databaseUnavailable` naming the URL.
struct PostgresSession {
    let connection: PostgresConnection
    let url: PostgresURL
    let logger: Logger
    /// How long a statement may go unanswered before its connection is closed: a server
    /// that stops answering (a network cut without a reset) must not hold a caller forever.
    var answerTimeout: TimeAmount = PostgresSession.defaultAnswerTimeout

    /// Runs `query` and returns its rows.
    @discardableResult
    func query(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) throws -> [PostgresRow] {
        try run(query, file: file, line: line).rows
    }

    /// Runs `query` and returns how many rows it changed (INSERT, UPDATE, DELETE).
    @discardableResult
    func execute(_ query: PostgresQuery, file: String = #fileID, line: Int = #line) throws -> Int {
        try run(query, file: file, line: line).metadata.rows ?? 0
    }

    /// The first column of the first row (a count, an id, a sum), or nil without a row.
    func scalar<Value: PostgresDecodable>(_ query: PostgresQuery, as type: Value.Type,
                                          file: String = #fileID, line: Int = #line) throws -> Value? {
        guard let row = try self.query(query, file: file, line: line).first else { return nil }
        do {
            return try row.makeRandomAccess()[0].decode(Value.self)
        } catch {
            throw StoreError.corruptRow("\(query.sql): \(error)")
        }
    }

    /// A row's first column.
    static func decode<Value: PostgresDecodable>(_ row: PostgresRow, as type: Value.Type) throws -> Value {
        do {
            return try row.makeRandomAccess()[0].decode(Value.self)
        } catch {
            throw StoreError.corruptRow("\(error)")
        }
    }

    /// Long enough for a row lock or another node's migrations.
    static let defaultAnswerTimeout: TimeAmount = .seconds(60)

    private func run(_ query: PostgresQuery, file: String, line: Int) throws -> PostgresQueryResult {
        let connection = self.connection
        let timedOut = NIOLockedValueBox(false)
        let timeout = connection.eventLoop.scheduleTask(in: answerTimeout) {
            timedOut.withLockedValue { $0 = true }
            let closing: EventLoopFuture<Void> = connection.close()
            _ = closing
        }
        defer { timeout.cancel() }
        do {
            return try connection.query(query, logger: logger, file: file, line: line).blockingResult()
        } catch {
            if timedOut.withLockedValue({ $0 }) {
                // Closed by the timer: wait until it is, so the pool sees it closed when it
                // comes back and connects anew (otherwise the next caller gets the dying one).
                try? connection.closeFuture.blockingResult()
                throw StoreError.databaseUnavailable(
                    url: url.redacted, reason: "no answer within \(Double(answerTimeout.nanoseconds) / 1e9) s")
            }
            throw Self.storeError(error, url: url)
        }
    }

    /// A postgres-nio error as a `StoreError`: the server's SQLSTATE and message, or the
    /// database named as unavailable when the connection itself failed.
    static func storeError(_ error: any Error, url: PostgresURL) -> any Error {
        guard let psql = error as? PSQLError else { return error }
        if let info = psql.serverInfo, let state = info[.sqlState] {
            var message = info[.message] ?? "\(psql.code)"
            if let detail = info[.detail] { message += " (\(detail))" }
            return StoreError.databaseFailed(sqlState: state, message: message)
        }
        return StoreError.databaseUnavailable(url: url.redacted, reason: PostgresConnectionPool.describe(error))
    }
}

/// Reads a row's columns in order, by position, so a record's decoder lists them once.
struct PostgresRowReader {
    private let cells: PostgresRandomAccessRow
    private var index = 0
    private let table: String

    init(_ row: PostgresRow, table: String) {
        cells = row.makeRandomAccess()
        self.table = table
    }

    mutating func next<Value: PostgresDecodable>(_ type: Value.Type = Value.self) throws -> Value {
        defer { index += 1 }
        do {
            return try cells[index].decode(Value.self)
        } catch {
            throw StoreError.corruptRow("\(table) column \(index + 1): \(error)")
        }
    }

    /// A text column holding an enumeration's raw value.
    mutating func next<Value: RawRepresentable>(_ type: Value.Type = Value.self) throws -> Value where Value.RawValue == String {
        let column = index
        let raw: String = try next(String.self)
        guard let value = Value(rawValue: raw) else {
            throw StoreError.corruptRow("\(table) column \(column + 1): unknown value \"\(raw)\"")
        }
        return value
    }

    mutating func next<Value: RawRepresentable>(_ type: Value?.Type = Value?.self) throws -> Value?
        where Value.RawValue == String {
        let column = index
        guard let raw: String = try next(String?.self) else { return nil }
        guard let value = Value(rawValue: raw) else {
            throw StoreError.corruptRow("\(table) column \(column + 1): unknown value \"\(raw)\"")
        }
        return value
    }
}

extension StoreError {
    /// SQLSTATE 23505: a UNIQUE constraint refused the row.
    var isUniqueViolation: Bool {
        if case .databaseFailed(let state, _) = self { return state == "23505" }
        return false
    }
}
