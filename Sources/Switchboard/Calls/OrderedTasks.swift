import Synchronization

/// Runs the work handed to it one piece at a time, in the order it was handed.
///
/// A call's legs tell its `CallBilling` what happened from the SIP loop, each through a
/// `Task` of its own; two unstructured tasks reach an actor in no fixed order, so "the
/// callback leg was answered" could arrive after "the script logged alice in" and open a
/// second access leg beside the one reserved before the INVITE (left open, its money held
/// until a restart's recovery). Each piece here waits for the one before it, so the actor
/// sees the events as the call had them.
final class OrderedTasks: Sendable {
    private let last = Mutex<Task<Void, Never>?>(nil)

    init() {}

    /// Runs `work` after everything submitted before it has finished.
    func submit(_ work: @escaping @Sendable () async -> Void) {
        last.withLock { last in
            let previous = last
            last = Task {
                await previous?.value
                await work()
            }
        }
    }

    /// Runs `work` after everything submitted before it, and waits for its answer.
    func value<T: Sendable>(_ work: @escaping @Sendable () async -> T) async -> T {
        await withCheckedContinuation { answer in
            submit { answer.resume(returning: await work()) }
        }
    }
}
