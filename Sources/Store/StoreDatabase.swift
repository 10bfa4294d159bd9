import Foundation

/// Which database holds the store (the configuration's `database:` key): the embedded
/// SQLite in the data directory, the default, or a PostgreSQL server shared by several
/// nodes.
public enum StoreDatabase: Sendable, Hashable, CustomStringConvertible {
    case embeddedSQLite
    case postgreSQL(PostgresURL)

    /// Reads the key's text: `postgresql://user[:password]@host[:port]/dbname`, or a
    /// `sqlite:` value (the data directory's database, as the shipped defaults say).
    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.lowercased().hasPrefix("sqlite:") {
            self = .embeddedSQLite
            return
        }
        do {
            self = .postgreSQL(try PostgresURL(parsing: trimmed))
        } catch let error as PostgresURL.ParseError {
            throw PostgresURL.ParseError(description: "\(error.description); leave the key out for the embedded SQLite")
        }
    }

    public var description: String {
        switch self {
        case .embeddedSQLite: return "the embedded SQLite in the data directory"
        case .postgreSQL(let url): return url.redacted
        }
    }
}
