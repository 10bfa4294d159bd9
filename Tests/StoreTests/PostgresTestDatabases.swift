import Foundation
import PostgresTestSupport
@testable import Store

func randomPepper() -> [UInt8] {
    var generator = SystemRandomNumberGenerator()
    return (0..<PINPepper.byteCount).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
}

/// Databases on the process's test server: a template migrated once, copied per test
/// (`CREATE DATABASE … TEMPLATE`), which is much faster than migrating each one.
enum PostgresTestDatabases {
    private static let lock = NSLock()
    private nonisolated(unsafe) static var template: String?

    static let templateName = "switchback_template"

    /// A fresh database with the whole schema, for one test.
    static func freshDatabase() throws -> PostgresURL {
        let server = try PostgresTestServer.shared()
        let template = try migratedTemplate(server)
        return try PostgresURL(parsing: server.url(database: try server.createDatabase(template: template)))
    }

    /// An empty database (no schema), for the migration tests.
    static func emptyDatabase() throws -> PostgresURL {
        let server = try PostgresTestServer.shared()
        return try PostgresURL(parsing: server.url(database: try server.createDatabase()))
    }

    private static func migratedTemplate(_ server: PostgresTestServer) throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let template { return template }
        let name = try server.createDatabase(named: templateName)
        let store = try PostgresStore(url: try PostgresURL(parsing: server.url(database: name)), pinPepper: randomPepper(),
                                      poolSize: 1)
        store.close()
        template = name
        return name
    }
}
