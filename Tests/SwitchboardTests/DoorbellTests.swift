import Synchronization
@testable import Switchboard
import XCTest

private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}

/// The loops' wake-up: a ring ends a sleep in progress or the next one; cancellation ends
/// one; an unrung sleep lasts its time. Sleeps here are a minute long, so a sleep that
/// ended shows the ring (or the cancellation) ended it.
final class DoorbellTests: XCTestCase {
    func testARingBeforeTheSleepEndsTheNextSleepOnly() async {
        let doorbell = Doorbell()
        doorbell.ring()
        doorbell.ring()
        await doorbell.sleep(for: .seconds(60))
        // Two rings before a sleep are one: the next sleep is still asleep until rung.
        let ended = Flag()
        let second = Task {
            await doorbell.sleep(for: .seconds(60))
            ended.set()
        }
        try? await Task.sleep(for: .milliseconds(200))
        XCTAssertFalse(ended.isSet, "a second sleep ended on the first sleep's ring")
        doorbell.ring()
        await second.value
        XCTAssertTrue(ended.isSet)
    }

    func testARingEndsASleepInProgress() async {
        let doorbell = Doorbell()
        let sleeper = Task { await doorbell.sleep(for: .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(50))
        doorbell.ring()
        await sleeper.value
    }

    func testCancellationEndsASleep() async {
        let doorbell = Doorbell()
        let sleeper = Task { await doorbell.sleep(for: .seconds(60)) }
        try? await Task.sleep(for: .milliseconds(50))
        sleeper.cancel()
        await sleeper.value
        // A sleep in a cancelled task does not begin.
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            await doorbell.sleep(for: .seconds(60))
        }
        await cancelled.value
    }

    func testAnUnrungSleepEndsWhenItsTimeIsUp() async {
        let doorbell = Doorbell()
        let start = ContinuousClock.now
        await doorbell.sleep(for: .milliseconds(30))
        XCTAssertGreaterThanOrEqual(ContinuousClock.now - start, .milliseconds(30))
        // Its alarm is spent: a ring now ends the next sleep, once.
        doorbell.ring()
        await doorbell.sleep(for: .seconds(60))
    }
}
