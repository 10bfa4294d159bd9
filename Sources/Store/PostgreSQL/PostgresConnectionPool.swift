import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// A fixed number of PostgreSQL connections, lent out one at a time to synchronous callers.
///
/// The Store protocols are synchronous and are called from the server's event-loop and
/// thread-pool threads, so the pool runs its connections on an `EventLoopGroup` of its own
/// and the caller waits for their futures: waiting never blocks a loop the connection
/// needs. A checkout blocks (on a condition) while every connection is lent; a connection
/// found closed (the server restarted, the network broke) is replaced on the next checkout.
final class PostgresConnectionPool: @unchecked Sendable {
    let url: PostgresURL
    let size: Int
    let group: MultiThreadedEventLoopGroup
    let logger: Logger
    /// How long a statement may go unanswered (`PostgresSession.answerTimeout`).
    let answerTimeout: TimeAmount
    private let configuration: PostgresConnection.Configuration
    /// How long a checkout waits for a lent connection to come back before giving up.
    private let checkoutTimeout: TimeInterval

    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    /// Connections open or being opened, idle or lent.
    private var live = 0
    private var isClosed = false
    private var nextID = 0

    init(url: PostgresURL, size: Int, connectTimeout: TimeInterval, checkoutTimeout: TimeInterval,
         answerTimeout: TimeInterval, logger: Logger) {
        self.answerTimeout = .milliseconds(Int64(answerTimeout * 1000))
        self.url = url
        self.size = max(1, size)
        self.checkoutTimeout = checkoutTimeout
        self.logger = logger
        // One thread carries every connection's I/O: the work is the server's, not ours.
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = PostgresConnection.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        configuration.options.connectTimeout = .milliseconds(Int64(connectTimeout * 1000))
        self.configuration = configuration
    }

    /// Lends a connection to `body` and takes it back, whatever `body` does.
    func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try checkout()
        defer { checkin(connection) }
        return try body(connection)
    }

    /// Lends a connection, as a session, to `body`.
    func withSession<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try withConnection { connection in
            try body(PostgresSession(connection: connection, url: url, logger: logger, answerTimeout: answerTimeout))
        }
    }

    private func checkout() throws -> PostgresConnection {
        condition.lock()
        let deadline = Date().addingTimeInterval(checkoutTimeout)
        while true {
            if isClosed {
                condition.unlock()
                throw StoreError.databaseUnavailable(url: url.redacted, reason: "the store is closed")
            }
            if let connection = idle.popLast() {
                if !connection.isClosed {
                    condition.unlock()
                    return connection
                }
                live -= 1   // broken while idle: replaced below
                continue
            }
            if live < size { break }
            if !condition.wait(until: deadline) {
                condition.unlock()
                throw StoreError.databaseUnavailable(
                    url: url.redacted,
                    reason: "all \(size) connections stayed busy for \(Int(checkoutTimeout)) s")
            }
        }
        live += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
            return try PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger)
                .blockingResult()
        } catch {
            condition.lock()
            live -= 1
            condition.signal()
            condition.unlock()
            throw StoreError.databaseUnavailable(url: url.redacted, reason: Self.describe(error))
        }
    }

    private func checkin(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isClosed || isClosed {
            live -= 1
            if isClosed { let closing: EventLoopFuture<Void> = connection.close(); _ = closing }
        } else {
            idle.append(connection)
        }
        condition.signal()
        condition.unlock()
    }

    /// Closes every connection and stops the pool's thread; later checkouts fail.
    func close() {
        condition.lock()
        guard !isClosed else {
            condition.unlock()
            return
        }
        isClosed = true
        let connections = idle
        idle = []
        live -= connections.count
        condition.broadcast()
        condition.unlock()
        // On an event-loop thread (the last reference dropped in a callback) nothing may be
        // waited for: close and shut down in the background instead.
        if MultiThreadedEventLoopGroup.currentEventLoop != nil {
            for connection in connections {
                let closing: EventLoopFuture<Void> = connection.close()
                _ = closing
            }
            group.shutdownGracefully { _ in }
            return
        }
        for connection in connections {
            let closing: EventLoopFuture<Void> = connection.close()
            try? closing.blockingResult()
        }
        try? group.syncShutdownGracefully()
    }

    /// A connection error as a person reads it ("connection refused", "timed out after 5 s").
    static func describe(_ error: any Error) -> String {
        if let psql = error as? PSQLError {
            if let message = psql.serverInfo?[.message] {
                return message
            }
            if let nested = psql.underlying as? PSQLError { return describe(nested) }
            if let underlying = psql.underlying {
                if case ChannelError.connectTimeout(let amount) = underlying {
                    return "no connection within \(amount.nanoseconds / 1_000_000_000) s"
                }
                return "\(underlying)"
            }
            // PSQLError's own description is deliberately generic; its code names the failure.
            return "\(psql.code)"
        }
        if case ChannelError.connectTimeout(let amount) = error {
            return "no connection within \(amount.nanoseconds / 1_000_000_000) s"
        }
        return "\(error)"
    }
}
