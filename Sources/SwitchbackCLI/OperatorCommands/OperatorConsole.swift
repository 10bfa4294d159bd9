import Foundation

/// Where operator commands write their output: standard output, or a buffer in tests.
public protocol OperatorOutputStream: Sendable {
    func write(_ text: String)
}

/// Writes to the process's standard output.
public struct StandardOperatorOutput: OperatorOutputStream {
    public init() {}
    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// Keeps everything written, for tests that run commands in-process.
public final class CapturedOutput: OperatorOutputStream, @unchecked Sendable {
    private let lock = NSLock()
    private var buffer = ""

    public init() {}

    public func write(_ text: String) {
        lock.lock()
        defer { lock.unlock() }
        buffer += text
    }

    public var text: String {
        lock.lock()
        defer { lock.unlock() }
        return buffer
    }
}

/// The output of operator commands, injectable per task:
/// `OperatorConsole.$output.withValue(captured) { try command.run() }`.
public enum OperatorConsole {
    @TaskLocal public static var output: any OperatorOutputStream = StandardOperatorOutput()

    static func line(_ text: String = "") {
        output.write(text + "\n")
    }
}
