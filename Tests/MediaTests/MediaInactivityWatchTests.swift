import Media
import NIOCore
import XCTest

/// The media-timeout decision as a table: samples (seconds since start, packets received
/// so far, media expected) in, verdicts out.
final class MediaInactivityWatchTests: XCTestCase {
    private struct Row {
        let name: String
        let samples: [(seconds: Int64, received: UInt64, expecting: Bool)]
        /// The verdict of the last sample (every earlier one must be `.alive`).
        let last: MediaInactivityWatch.Verdict
    }

    private let rows: [Row] = [
        Row(name: "packets keep arriving", samples: [(0, 0, true), (12, 600, true), (24, 1200, true), (36, 1800, true)],
            last: .alive),
        Row(name: "silent from the start, timeout reached",
            samples: [(0, 0, true), (12, 0, true), (24, 0, true), (30, 0, true)], last: .timedOut(silence: .seconds(30))),
        Row(name: "silent just short of the timeout", samples: [(0, 0, true), (29, 0, true)], last: .alive),
        Row(name: "stopped after talking: silence counts from the last change",
            samples: [(0, 0, true), (10, 500, true), (20, 500, true), (39, 500, true)], last: .alive),
        Row(name: "stopped after talking, timeout reached",
            samples: [(0, 0, true), (10, 500, true), (20, 500, true), (40, 500, true)], last: .timedOut(silence: .seconds(30))),
        Row(name: "RTCP alone (silence suppression) keeps the leg alive",
            samples: [(0, 3, true), (6, 4, true), (12, 5, true), (18, 6, true), (24, 7, true), (30, 8, true), (36, 9, true)],
            last: .alive),
        Row(name: "on hold: silence is normal", samples: [(0, 0, true), (20, 0, false), (60, 0, false), (120, 0, false)],
            last: .alive),
        Row(name: "off hold: the timeout starts again",
            samples: [(0, 0, true), (20, 0, false), (100, 0, true), (129, 0, true)], last: .alive),
        Row(name: "off hold and still silent", samples: [(0, 0, true), (20, 0, false), (100, 0, true), (130, 0, true)],
            last: .timedOut(silence: .seconds(30))),
    ]

    func testTable() {
        let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
        for row in rows {
            var watch = MediaInactivityWatch(timeout: .seconds(30))
            var verdicts: [MediaInactivityWatch.Verdict] = []
            for sample in row.samples {
                verdicts.append(watch.observe(received: sample.received, expectingMedia: sample.expecting,
                                              at: start + .seconds(sample.seconds)))
            }
            XCTAssertEqual(verdicts.last, row.last, row.name)
            XCTAssertEqual(Array(verdicts.dropLast()), Array(repeating: .alive, count: verdicts.count - 1), row.name)
        }
    }

    func testSamplesAFifthOfTheTimeoutButAtMostOncePerSecond() {
        XCTAssertEqual(MediaInactivityWatch(timeout: .seconds(60)).sampleInterval, .seconds(12))
        XCTAssertEqual(MediaInactivityWatch(timeout: .seconds(3)).sampleInterval, .seconds(1))
    }
}
