import Foundation
import XCTest

/// Issue 11: a second `switchback serve` on the same data directory is refused with a clear
/// message (it would otherwise "recover" and settle the first server's calls in progress),
/// and the directory is free again once the first one stops.
final class ServeLockTests: XCTestCase {
    func testASecondServeOnTheSameDataDirectoryIsRefusedUntilTheFirstStops() throws {
        let first = try ServerProcess(name: "lock-first")
        defer { first.stop() }
        XCTAssertThrowsError(try ServerProcess(name: "lock-second", dataDirectory: first.dataDirectory)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("another switchback serve (pid \(first.process.processIdentifier)) is already "
                                        + "using the data directory \(first.dataDirectory.path)"), text)
        }
        XCTAssertTrue(first.isRunning, "the first server is untouched")

        first.stop()
        let third = try ServerProcess(name: "lock-third", dataDirectory: first.dataDirectory)
        XCTAssertTrue(third.isRunning)
        third.stop()
    }
}
