import Foundation

/// Runs a blocking peer on another thread while the test drives the other side.
final class Background: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<ProcessResult, any Error>?

    init(_ body: @escaping @Sendable () throws -> ProcessResult) {
        Thread.detachNewThread { [self] in
            result = Result { try body() }
            done.signal()
        }
    }

    func wait(timeout: TimeInterval) throws -> ProcessResult {
        guard done.wait(timeout: .now() + timeout) == .success, let result else {
            throw ServerProcess.Failure("background peer did not finish within \(timeout) s")
        }
        return try result.get()
    }
}
