import Foundation
import GRDB
import PostgresNIO
@testable import Store

/// A failure in the middle of a write, on either backend: every insert into `table`
/// matching `condition` (SQL over `NEW`) is refused by a trigger until it is removed.
func injectInsertFailure(_ store: any TestedStore, into table: String, when condition: String) throws {
    switch store {
    case let sqlite as SQLiteStore:
        try sqlite.writer.write { db in
            try db.execute(sql: """
                CREATE TEMP TRIGGER injected_failure BEFORE INSERT ON \(table) WHEN \(condition)
                BEGIN SELECT RAISE(ABORT, 'injected failure'); END
                """)
        }
    case let postgres as PostgresStore:
        try postgres.read { db in
            try db.execute("""
                CREATE OR REPLACE FUNCTION injected_failure() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION 'injected failure'; END $$
                """)
            try db.execute(PostgresQuery(unsafeSQL: """
                CREATE TRIGGER injected_failure BEFORE INSERT ON \(table)
                FOR EACH ROW WHEN (\(condition)) EXECUTE FUNCTION injected_failure()
                """))
            try db.execute("CREATE TABLE injected_failure_on (name TEXT)")
            try db.execute("INSERT INTO injected_failure_on VALUES (\(table))")
        }
    default:
        throw NoFailureInjection(store: "\(type(of: store))")
    }
}

/// Removes the trigger `injectInsertFailure` made.
func removeInsertFailure(_ store: any TestedStore) throws {
    switch store {
    case let sqlite as SQLiteStore:
        try sqlite.writer.write { db in try db.execute(sql: "DROP TRIGGER injected_failure") }
    case let postgres as PostgresStore:
        try postgres.read { db in
            guard let table = try db.scalar("SELECT name FROM injected_failure_on", as: String.self) else { return }
            try db.execute(PostgresQuery(unsafeSQL: "DROP TRIGGER injected_failure ON \(table)"))
            try db.execute("DROP TABLE injected_failure_on")
        }
    default:
        throw NoFailureInjection(store: "\(type(of: store))")
    }
}

struct NoFailureInjection: Error, CustomStringConvertible {
    var store: String
    var description: String { "the tests cannot inject failures into a \(store)" }
}
