import Billing
import Foundation
import IVR
import Logging
import Store
@testable import Switchboard
import XCTest

/// The transaction spool: lines parsed as a table; the follower queues each good line once
/// through the scheduler with its offset, writes bad ones to the rejects file with their
/// line number, and starts over when the file is truncated or replaced.
final class SpoolTests: XCTestCase {
    private static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    func testLinesAsATable() {
        let cases: [(String, SpoolLine?, String?)] = [
            ("alice,pw,4930222", SpoolLine(user: "alice", password: "pw", numbers: ["4930222"]), nil),
            (" alice , pw , 4930222 , +4930223 ", SpoolLine(user: "alice", password: "pw", numbers: ["4930222", "+4930223"]), nil),
            (#"{"user": "alice", "password": "pw", "numbers": ["4930222"]}"#,
             SpoolLine(user: "alice", password: "pw", numbers: ["4930222"]), nil),
            (#"{"user": "alice", "password": "pw", "from": "4930111", "to": "4930222"}"#,
             SpoolLine(user: "alice", password: "pw", from: "4930111", numbers: ["4930222"]), nil),
            ("", nil, nil),
            ("alice,pw", nil, "expected user,password,number[,number...]"),
            ("alice,pw,49x", nil, "'49x' is not a phone number (digits with an optional leading +)"),
            (",pw,4930222", nil, "no user"),
            (#"{"user": "alice"}"#, nil, "not a JSON request {user, password, numbers | from and to}: password is missing"),
            (#"{"user": "alice", "password": "pw", "to": "4930222"}"#, nil, "to needs from (connect-two)"),
        ]
        for (text, expected, reason) in cases {
            do {
                let line = try SpoolLine.parse(text)
                XCTAssertEqual(line, expected, text)
                XCTAssertNil(reason, "\(text) parsed")
            } catch {
                XCTAssertEqual(error.reason, reason, text)
            }
        }
    }

    func testThePasswordIsNotCopiedIntoTheRejectsFile() {
        XCTAssertEqual(SpoolFollower.withoutPassword("alice,pw,1"), "alice,***,1")
        XCTAssertEqual(SpoolFollower.withoutPassword(#"{"user":"a","password":"p\"w","numbers":[]}"#),
                       #"{"user":"a","password":"***","numbers":[]}"#)
    }

    private struct Bed {
        let directory: URL
        let file: URL
        let rejects: URL
        let store: SQLiteStore
        let scheduler: CallbackScheduler
        let follower: SpoolFollower
    }

    private func bed() throws -> Bed {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spool-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let store = try SQLiteStore.inMemory(passwordHasher: PasswordHasher(rounds: 1_000))
        let alice = try store.createAccount(NewAccount(login: "alice", password: "pw", sipRealm: "r",
                                                       initialBalance: try Money.parse("5", currency: "EUR"),
                                                       forwardNumber: "4930777"), at: Date())
        _ = try store.authoriseCallerID("4930111", account: alice.id!, at: Date())
        let configuration = try ConfigurationLoader.parse(yaml: """
        sounds: \(Self.root.path)/sounds
        campaigns:
          web-callback: { script: \(Self.root.path)/scripts/web-callback.yaml }
        callback: { max-participants: 3, web-campaign: web-callback }
        """, file: "test.yaml")
        let catalog = try ScriptCatalog(configuration: configuration, baseDirectory: Self.root,
                                        promptCatalog: PromptCatalog.scan(soundsRoot: Self.root.appendingPathComponent("sounds")))
        let file = directory.appendingPathComponent("WebCallBackData.txt")
        let rejects = directory.appendingPathComponent("WebCallBackData.rejects")
        let scheduler = CallbackScheduler(store: store, catalog: catalog)
        let follower = SpoolFollower(file: file, rejects: rejects, pollInterval: .milliseconds(10), store: store,
                                     scheduler: scheduler,
                                     campaign: { "web-callback" }, logger: Logger(label: "spool-test"))
        return Bed(directory: directory, file: file, rejects: rejects, store: store, scheduler: scheduler, follower: follower)
    }

    private func append(_ text: String, to file: URL) throws {
        if !FileManager.default.fileExists(atPath: file.path) { FileManager.default.createFile(atPath: file.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: file)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }

    private func queued(_ store: SQLiteStore) throws -> [Store.CallbackRequest] {
        try store.callbackRequests(states: Store.CallbackRequest.State.allCases).sorted { $0.id! < $1.id! }
    }

    func testGoodLinesAreQueuedOnceAndBadOnesRejectedWithTheirLineNumber() async throws {
        let bed = try bed()
        try append("alice,pw,4930222\nalice,wrong,4930222\n\nalice,pw,4930201,4930202,4930203\n"
                   + #"{"user": "alice", "password": "pw", "from": "4930999", "to": "4930222"}"# + "\nalice,pw,4930333", to: bed.file)
        let taken = try await bed.follower.poll()
        XCTAssertEqual(taken, 5, "the unfinished last line waits for its newline")
        XCTAssertEqual(try queued(bed.store).map(\.destinations), [["4930222"]])
        XCTAssertEqual(try queued(bed.store).first?.trigger, .spool)
        XCTAssertEqual(try queued(bed.store).first?.originNumber, "4930777")
        let rejects = try String(contentsOf: bed.rejects, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(rejects.count, 3)
        XCTAssertEqual(rejects[0], "line 2: wrong user or password: alice,***,4930222")
        XCTAssertTrue(rejects[1].hasPrefix("line 4: 3 numbers: at most 2 (max-participants is 3"), rejects[1])
        XCTAssertTrue(rejects[2].hasPrefix("line 5: 4930999 is not on the allow-list"), rejects[2])

        try append("\n", to: bed.file)
        let second = try await bed.follower.poll()
        XCTAssertEqual(second, 1)
        let third = try await bed.follower.poll()
        XCTAssertEqual(third, 0, "nothing new, nothing queued again")
        XCTAssertEqual(try queued(bed.store).map(\.destinations), [["4930222"], ["4930333"]])
        let size = try FileManager.default.attributesOfItem(atPath: bed.file.path)[.size] as? NSNumber
        XCTAssertEqual(try bed.store.spoolOffset(path: bed.file.path), size?.int64Value)
    }

    func testARestartedFollowerGoesOnFromTheStoredOffsetWithTheRightLineNumbers() async throws {
        let bed = try bed()
        try append("alice,pw,4930222\nalice,pw,4930223\n", to: bed.file)
        try await bed.follower.poll()
        let restarted = SpoolFollower(file: bed.file, rejects: bed.rejects, pollInterval: .milliseconds(10), store: bed.store,
                                      scheduler: bed.scheduler,
                                      campaign: { "web-callback" }, logger: Logger(label: "spool-test"))
        try append("alice,pw,bad\nalice,pw,4930224\n", to: bed.file)
        try await restarted.poll()
        XCTAssertEqual(try queued(bed.store).map(\.destinations), [["4930222"], ["4930223"], ["4930224"]])
        XCTAssertTrue(try String(contentsOf: bed.rejects, encoding: .utf8).hasPrefix("line 3: "))
    }

    func testTruncationAndReplacementStartFromTheBeginning() async throws {
        let bed = try bed()
        try append("alice,pw,4930222\nalice,pw,4930223\n", to: bed.file)
        try await bed.follower.poll()
        // Truncated and rewritten shorter: read from the start.
        try Data("alice,pw,4930224\n".utf8).write(to: bed.file)
        try await bed.follower.poll()
        XCTAssertEqual(try queued(bed.store).map(\.destinations), [["4930222"], ["4930223"], ["4930224"]])
        // Rotated: a new file (another inode) as long as the old offset or longer.
        let rotated = bed.directory.appendingPathComponent("new.txt")
        try Data("alice,pw,4930225\nalice,pw,4930226\n".utf8).write(to: rotated)
        try FileManager.default.removeItem(at: bed.file)
        try FileManager.default.moveItem(at: rotated, to: bed.file)
        try await bed.follower.poll()
        XCTAssertEqual(try queued(bed.store).map(\.destinations).suffix(2), [["4930225"], ["4930226"]])
    }
}
