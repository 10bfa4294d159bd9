import Foundation
import Logging
import Store

/// Follows the transaction spool (`spool:`): every `pollInterval` it reads the lines
/// appended since the offset the store holds, queues each through the one pipeline
/// (`CallbackScheduler`, trigger `spool`) with the offset after the line written in the
/// same transaction, so each line is queued exactly once across restarts and `kill -9`.
/// A bad line (unparsable, wrong password, a number the fraud guard refuses) is logged,
/// appended to the rejects file as `line N: reason: text`, and skipped (the offset moves
/// past it). A file that shrank below the offset (truncated) or is another file (a new
/// inode: rotated) is read from its start.
///
/// A line rejected just before a crash may be written to the rejects file twice (the
/// rejects file is written before the offset moves, so none is lost).
public actor SpoolFollower {
    public typealias Backend = AccountStore & CallerIDStore & SpoolOffsetStore

    private let file: URL
    private let rejects: URL
    private let pollInterval: Duration
    private let store: any Backend
    private let scheduler: CallbackScheduler
    private let campaign: @Sendable () -> String?
    private let verified = VerifiedPasswordCache()
    private let outcome: @Sendable (String) -> Void
    private let logger: Logger
    private let now: @Sendable () -> Date

    /// The line number of the line at the current offset, once known.
    private var nextLine: Int?
    private var inode: UInt64?

    public init(file: URL, rejects: URL, pollInterval: Duration, store: any Backend, scheduler: CallbackScheduler,
                campaign: @escaping @Sendable () -> String?, outcome: @escaping @Sendable (String) -> Void = { _ in },
                logger: Logger, now: @escaping @Sendable () -> Date = { Date() }) {
        self.file = file
        self.rejects = rejects
        self.pollInterval = pollInterval
        self.store = store
        self.scheduler = scheduler
        self.campaign = campaign
        self.outcome = outcome
        self.logger = logger
        self.now = now
    }

    /// Follows the file until the task is cancelled.
    public func run() async {
        logger.info("spool followed", metadata: ["file": "\(file.path)", "rejects": "\(rejects.path)"])
        while !Task.isCancelled {
            do {
                try poll()
            } catch {
                logger.error("spool not read", metadata: ["file": "\(file.path)", "reason": "\(error)"])
            }
            try? await Task.sleep(for: pollInterval)
        }
    }

    /// Reads and queues whatever complete lines were appended; returns how many lines it took.
    @discardableResult
    public func poll() throws -> Int {
        let path = file.path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path) else { return 0 }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let currentInode = (attributes[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
        var offset = try store.spoolOffset(path: path)
        let inodeKey = path + "#inode"
        let recordedInode = try inode ?? UInt64(store.spoolOffset(path: inodeKey))
        if recordedInode != currentInode || size < offset {
            if offset > 0 || recordedInode != 0 {
                logger.notice("spool file replaced or truncated: reading it from the start", metadata: [
                    "file": "\(path)", "offset": "\(offset)", "size": "\(size)",
                    "inode": "\(currentInode)", "was-inode": "\(recordedInode)",
                ])
            }
            if offset != 0 { try store.setSpoolOffset(0, path: path, at: now()) }
            try store.setSpoolOffset(Int64(currentInode), path: inodeKey, at: now())
            offset = 0
            nextLine = 1
        }
        inode = currentInode
        guard size > offset else { return 0 }
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        if nextLine == nil {
            // After a restart: the line number of the offset, counted once.
            let before = offset > 0 ? try handle.read(upToCount: Int(offset)) ?? Data() : Data()
            nextLine = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        }
        try handle.seek(toOffset: UInt64(offset))
        let data = try handle.readToEnd() ?? Data()
        var taken = 0
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: UInt8(ascii: "\n")) {
            let lineNumber = nextLine ?? 1
            let text = String(decoding: data[start..<newline], as: UTF8.self)
            let after = offset + Int64(newline - data.startIndex + 1)
            try take(text, lineNumber: lineNumber, offsetAfter: after)
            nextLine = lineNumber + 1
            start = data.index(after: newline)
            taken += 1
        }
        return taken
    }

    private func take(_ text: String, lineNumber: Int, offsetAfter: Int64) throws {
        let path = file.path
        let parsed: SpoolLine?
        do {
            parsed = try SpoolLine.parse(text)
        } catch {
            return try reject(text, lineNumber: lineNumber, reason: error.reason, offsetAfter: offsetAfter)
        }
        guard let line = parsed else {
            // A blank line asks nothing: step over it.
            return try store.setSpoolOffset(offsetAfter, path: path, at: now())
        }
        guard let campaign = campaign() else {
            return try reject(text, lineNumber: lineNumber, reason: "no campaign serves spool callbacks (callback.web-campaign)",
                              offsetAfter: offsetAfter)
        }
        guard let account = try authenticate(line) else {
            return try reject(text, lineNumber: lineNumber, reason: "wrong user or password", offsetAfter: offsetAfter)
        }
        let order: CallbackScheduler.Order
        do {
            order = try WebCallbackOrder.order(
                trigger: .spool, account: account, requester: .operatorSpool, callerIDs: try store.callerIDs(account: account.id!).map(\.number),
                from: line.from, destinations: line.numbers, campaign: campaign, maxParticipants: scheduler.maxParticipants,
                idempotencyKey: nil)
        } catch let problem as WebCallbackOrder.Problem {
            return try reject(text, lineNumber: lineNumber, reason: problem.description, offsetAfter: offsetAfter)
        }
        do {
            let queued = try scheduler.schedule(order, spool: .init(path: path, offsetAfter: offsetAfter))
            outcome("queued")
            logger.info("spool line queued", metadata: ["line": "\(lineNumber)", "request": "\(queued.request.id ?? 0)"])
        } catch {
            if case .store = error { throw error }   // not the line's fault: read it again next time
            try reject(text, lineNumber: lineNumber, reason: error.description, offsetAfter: offsetAfter)
        }
    }

    private func authenticate(_ line: SpoolLine) throws -> Account? {
        let time = now()
        if let id = verified.account(login: line.user, password: line.password, now: time),
           let account = try store.account(id: id), account.state == .active {
            return account
        }
        guard case .authenticated(let account) = try store.authenticate(login: line.user, password: line.password) else {
            return nil
        }
        verified.remember(login: line.user, password: line.password, account: account.id!, now: time)
        return account
    }

    private func reject(_ text: String, lineNumber: Int, reason: String, offsetAfter: Int64) throws {
        outcome("refused")
        logger.warning("spool line rejected", metadata: ["line": "\(lineNumber)", "reason": "\(reason)"])
        // The password is not copied into the rejects file.
        let shown = Self.withoutPassword(text)
        let entry = Data("line \(lineNumber): \(reason): \(shown)\n".utf8)
        if !FileManager.default.fileExists(atPath: rejects.path) {
            FileManager.default.createFile(atPath: rejects.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: rejects)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: entry)
        try handle.synchronize()
        try store.setSpoolOffset(offsetAfter, path: file.path, at: now())
    }

    /// `user,***,numbers` for the CSV form; JSON lines keep their shape with the password masked.
    static func withoutPassword(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("{") {
            guard let regex = try? NSRegularExpression(pattern: #""password"\s*:\s*"(?:[^"\\]|\\.)*""#) else { return trimmed }
            return regex.stringByReplacingMatches(in: trimmed, range: NSRange(trimmed.startIndex..., in: trimmed),
                                                  withTemplate: #""password":"***""#)
        }
        var fields = trimmed.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        if fields.count >= 2 { fields[1] = "***" }
        return fields.joined(separator: ",")
    }
}
