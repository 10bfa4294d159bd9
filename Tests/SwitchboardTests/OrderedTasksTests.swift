import Synchronization
@testable import Switchboard
import XCTest

/// Work handed to `OrderedTasks` runs one piece at a time in the order handed, also when
/// each piece suspends (an actor hop) and when callers wait for answers in between.
final class OrderedTasksTests: XCTestCase {
    private actor Journal {
        var entries: [Int] = []
        func append(_ entry: Int) async {
            // A suspension inside the piece: the next piece must still wait for this one.
            if entry % 7 == 0 { await Task.yield() }
            entries.append(entry)
        }
    }

    func testPiecesRunInTheOrderTheyWereHanded() async {
        let tasks = OrderedTasks()
        let journal = Journal()
        for entry in 0..<2_000 {
            tasks.submit { await journal.append(entry) }
        }
        let seen = await tasks.value { await journal.entries }
        XCTAssertEqual(seen, Array(0..<2_000))
    }

    func testAnAnswerWaitsForEverythingHandedBeforeIt() async {
        let tasks = OrderedTasks()
        let journal = Journal()
        for round in 0..<200 {
            tasks.submit { await journal.append(2 * round) }
            let count = await tasks.value { await journal.entries.count }
            XCTAssertEqual(count, 2 * round + 1, "the answer came after the piece handed before it")
            tasks.submit { await journal.append(2 * round + 1) }
        }
        let seen = await tasks.value { await journal.entries }
        XCTAssertEqual(seen, Array(0..<400))
    }
}
