import Foundation
import NIOCore
import PostgresNIO

/// A date as the PostgreSQL store keeps it: rounded to the millisecond, which is what the
/// SQLite store round-trips (GRDB's "yyyy-MM-dd HH:mm:ss.SSS" rounds), so both backends
/// hand back the same instant, to the millisecond, for the same input. Written and read as
/// `timestamptz`.
struct PostgresStoredDate: PostgresNonThrowingEncodable, PostgresDecodable {
    /// Milliseconds since 1970-01-01 UTC.
    var milliseconds: Int64

    init(_ date: Date) {
        milliseconds = Int64((date.timeIntervalSince1970 * 1000).rounded())
    }

    var date: Date { Date(timeIntervalSince1970: Double(milliseconds) / 1000) }

    /// PostgreSQL's epoch, 2000-01-01 UTC, in milliseconds since 1970.
    private static let postgresEpochMilliseconds: Int64 = 946_684_800_000

    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }

    func encode<JSONEncoder: PostgresJSONEncoder>(into byteBuffer: inout ByteBuffer,
                                                  context: PostgresEncodingContext<JSONEncoder>) {
        byteBuffer.writeInteger((milliseconds - Self.postgresEpochMilliseconds) * 1000)
    }

    init<JSONDecoder: PostgresJSONDecoder>(from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat,
                                           context: PostgresDecodingContext<JSONDecoder>) throws {
        guard type == .timestamptz || type == .timestamp, format == .binary, buffer.readableBytes == 8,
              let microseconds = buffer.readInteger(as: Int64.self) else {
            throw PostgresDecodingError.Code.typeMismatch
        }
        // Floor division: dates before 2000 have negative microseconds.
        let (quotient, remainder) = microseconds.quotientAndRemainder(dividingBy: 1000)
        milliseconds = (remainder < 0 ? quotient - 1 : quotient) + Self.postgresEpochMilliseconds
    }
}

extension PostgresQuery.StringInterpolation {
    /// Dates in the store's SQL are bound to the millisecond (`PostgresStoredDate`).
    mutating func appendInterpolation(_ value: Date) {
        appendInterpolation(PostgresStoredDate(value))
    }

    mutating func appendInterpolation(_ value: Date?) {
        appendInterpolation(value.map(PostgresStoredDate.init))
    }
}

extension PostgresRowReader {
    mutating func next(_ type: Date.Type = Date.self) throws -> Date {
        try next(PostgresStoredDate.self).date
    }

    mutating func next(_ type: Date?.Type = Date?.self) throws -> Date? {
        try next(PostgresStoredDate?.self)?.date
    }
}
