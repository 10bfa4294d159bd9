import Foundation

/// Where the shared PostgreSQL database is: `postgresql://user[:password]@host[:port]/dbname`
/// (the configuration's `database:` key; `postgres://` is accepted too). Printed without
/// its password (`redacted`), so errors and logs can name the database safely.
public struct PostgresURL: Sendable, Hashable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String

    public static let defaultPort = 5432

    public init(user: String, password: String? = nil, host: String, port: Int = PostgresURL.defaultPort, database: String) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
    }

    /// What a malformed URL lacks or has too much of.
    public struct ParseError: Error, Equatable, Sendable, CustomStringConvertible {
        public var description: String
    }

    static let expectedForm = "postgresql://user[:password]@host[:port]/dbname"

    /// Parses `text`; the error says what is wrong and shows the expected form.
    public init(parsing text: String) throws {
        func fail(_ why: String) -> ParseError {
            ParseError(description: "\(why) (expected \(Self.expectedForm))")
        }
        guard let components = URLComponents(string: text) else { throw fail("not a URL") }
        guard let scheme = components.scheme?.lowercased(), scheme == "postgresql" || scheme == "postgres" else {
            throw fail("the scheme must be postgresql://")
        }
        guard let user = components.user, !user.isEmpty else { throw fail("no user name") }
        guard let host = components.host, !host.isEmpty else { throw fail("no host") }
        let port = components.port ?? Self.defaultPort
        guard (1...65_535).contains(port) else { throw fail("port \(port) is outside 1...65535") }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty else { throw fail("no database name") }
        guard !path.contains("/") else { throw fail("the database name \"\(path)\" contains '/'") }
        // TLS and other connection parameters are not supported: say so rather than ignore them.
        if components.query != nil { throw fail("parameters after '?' are not supported") }
        if components.fragment != nil { throw fail("a '#' fragment is not allowed") }
        self.init(user: user, password: components.password, host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")),
                  port: port, database: path)
    }

    /// The URL without its password: safe for errors and logs.
    public var redacted: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgresql://\(user)@\(shownHost):\(port)/\(database)"
    }

    public var description: String { redacted }
}
