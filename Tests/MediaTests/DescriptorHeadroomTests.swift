#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
@testable import Media
import XCTest

/// The descriptor check before a media session's sockets: free descriptors read as free
/// also while several loops ask at once (each probe briefly holds the slot it probes).
final class DescriptorHeadroomTests: XCTestCase {
    func testConcurrentProbesWithDescriptorsFreeAllSayAvailable() throws {
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved), 0)
        var lowered = saved
        lowered.rlim_cur = min(saved.rlim_max, 4_096)   // under `probedLimit`: the probe runs
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lowered), 0)
        defer { _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) }

        let refused = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<2_000 where !DescriptorHeadroom.isAvailable() { refused.add(1, ordering: .relaxed) }
        }
        XCTAssertEqual(refused.load(ordering: .relaxed), 0, "probes of 8 threads at once read a free descriptor table as full")
    }

    func testAFullTableSaysUnavailable() throws {
        var saved = rlimit()
        XCTAssertEqual(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved), 0)
        defer { _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &saved) }
        // A limit fewer than `reserve` above the lowest free descriptor: every slot below it
        // is taken (counting open descriptors would miss holes other tests' threads leave).
        let lowestFree = fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0)
        XCTAssertGreaterThanOrEqual(lowestFree, 0)
        close(lowestFree)
        var tight = saved
        tight.rlim_cur = rlim_t(Int(lowestFree) + DescriptorHeadroom.reserve / 2)
        XCTAssertEqual(setrlimit(Int32(RLIMIT_NOFILE.rawValue), &tight), 0)
        XCTAssertFalse(DescriptorHeadroom.isAvailable())
    }
}
