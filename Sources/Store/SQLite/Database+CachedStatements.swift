import GRDB

// Fetches and updates through GRDB's per-connection statement cache. GRDB's query
// interface (`Account.fetchOne(db, key:)`, `.filter(…).fetchAll(db)`, `fetchCount`) and
// `db.execute(sql:)` build the SQL and prepare a new statement on every call: ~340 k
// instructions of `sqlite3_prepare_v3` each, ~16 % of a bridged call's instructions under
// callgrind (issue 19). The statements that run per call or per poll use these instead:
// fixed SQL text, prepared once per connection and then only rebound. (GRDB's own
// `insert`/`update`/`save` of a record already use its internal cache.)
//
// Only SQL whose text never varies belongs here (no IN lists of varying length): each
// distinct text stays in the cache for the connection's lifetime. GRDB empties the cache
// when the schema changes, so a migration cannot leave a stale `SELECT *` behind.

extension FetchableRecord {
    /// The first row of `sql` decoded as this record, through the cached statement for `sql`.
    static func fetchOne(_ db: Database, cachedSQL sql: String, arguments: StatementArguments = []) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// Every row of `sql` decoded as this record, through the cached statement for `sql`.
    static func fetchAll(_ db: Database, cachedSQL sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension FetchableRecord where Self: TableRecord {
    /// The row of this record's table whose `id` is `id` (what `fetchOne(db, key:)` reads),
    /// through a cached statement.
    static func fetchOne(_ db: Database, cachedKey id: Int64) throws -> Self? {
        try fetchOne(db, cachedSQL: "SELECT * FROM \"\(databaseTableName)\" WHERE id = ?", arguments: [id])
    }
}

extension DatabaseValueConvertible {
    /// The first column of the first row of `sql` (nil for no row or NULL), through the
    /// cached statement for `sql`.
    static func fetchOne(_ db: Database, cachedSQL sql: String, arguments: StatementArguments = []) throws -> Self? {
        try fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
    }

    /// The first column of every row of `sql`, through the cached statement for `sql`.
    static func fetchAll(_ db: Database, cachedSQL sql: String, arguments: StatementArguments = []) throws -> [Self] {
        try fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
    }
}

extension Database {
    /// The row count of a `SELECT COUNT(*) …` through the cached statement for `sql`.
    func fetchCount(cachedSQL sql: String, arguments: StatementArguments = []) throws -> Int {
        try Int.fetchOne(self, cachedSQL: sql, arguments: arguments) ?? 0
    }

    /// Runs one update statement `sql` through the cached statement for it.
    func execute(cachedSQL sql: String, arguments: StatementArguments = []) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
