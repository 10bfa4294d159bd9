import NIOCore
import NIOPosix
import XCTest
@testable import Switchboard

/// `sip.event-loops`: how many loops the SIP side runs on, and how media falls to them.
final class SIPEventLoopsSettingsTests: XCTestCase {
    func testDefaultValueAndErrors() throws {
        XCTAssertNil(try ConfigurationLoader.parse(yaml: "sip: { domain: example.net }", file: "t.yaml").sip.eventLoops,
                     "default: auto")
        XCTAssertNil(try ConfigurationLoader.parse(yaml: "sip: { event-loops: auto }", file: "t.yaml").sip.eventLoops)
        XCTAssertEqual(try ConfigurationLoader.parse(yaml: "sip: { event-loops: 4 }", file: "t.yaml").sip.eventLoops, 4)
        for (yaml, expected) in [("sip: { event-loops: 0 }", "sip.event-loops: must be between 1 and 256, got 0"),
                                 ("sip: { event-loops: all }", "sip.event-loops: expected auto or a number of loops, got 'all'"),
                                 ("sip: { event-loops: [2] }", "sip.event-loops: expected auto or a number of loops, got 'a collection'")] {
            XCTAssertThrowsError(try ConfigurationLoader.parse(yaml: yaml, file: "bad.yaml"), yaml) { error in
                XCTAssertTrue("\(error)".contains(expected), "\(yaml): \(error)")
            }
        }
    }

    func testEachRouterTakesItsOwnLoopAndItsShareOfTheOthersForMedia() throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 5)
        defer { try? group.syncShutdownGracefully() }
        let loops = Array(group.makeIterator())
        func indices(_ media: [any EventLoop]) -> [Int] { media.map { m in loops.firstIndex { $0 === m }! } }
        let two = Array(loops.prefix(2))
        XCTAssertEqual(indices(SwitchbackServer.mediaLoops(of: 0, sipLoops: two, all: loops)), [0, 2, 4])
        XCTAssertEqual(indices(SwitchbackServer.mediaLoops(of: 1, sipLoops: two, all: loops)), [1, 3])
        XCTAssertEqual(indices(SwitchbackServer.mediaLoops(of: 0, sipLoops: [loops[3]], all: loops)), [0, 1, 2, 3, 4],
                       "one SIP loop: media on every loop")
    }

    func testQueuedCallbacksTakeTheLoopsInTurn() {
        let table: [(id: Int64?, loops: Int, index: Int)] = [
            (1, 1, 0), (7, 1, 0), (1, 2, 1), (2, 2, 0), (3, 2, 1), (5, 3, 2), (6, 3, 0), (nil, 2, 0), (-3, 2, 1),
        ]
        for row in table {
            XCTAssertEqual(SpreadCallbackDialer.index(ofRequest: row.id, among: row.loops), row.index, "\(row)")
        }
    }
}

/// `sip.event-loops: auto` counts the CPUs of the process's affinity list.
final class CPUAffinityTests: XCTestCase {
    func testCPUListsAreCounted() {
        let table: [(String, Int?)] = [("0", 1), ("1", 1), ("0-1", 2), ("0-3,8,10-11", 7), (" 2-5\n", 4),
                                       ("", nil), ("x", nil), ("3-1", nil), ("1-2-3", nil)]
        for (list, count) in table { XCTAssertEqual(CPUAffinity.count(list: list), count, list) }
        XCTAssertNotNil(CPUAffinity.allowedCPUs(), "this process's own list reads")
    }
}
