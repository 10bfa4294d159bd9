#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Logging

/// The server's swift-log backend: each line formatted by `LogLineFormatter` and written
/// with one `write(2)` to a file descriptor (stderr), so lines from several threads never
/// interleave (a write below PIPE_BUF is atomic on a pipe) and nothing is buffered that a
/// crash could lose.
public struct LogLineHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let formatter: LogLineFormatter
    private let fileDescriptor: Int32

    public init(label: String, style: LogLineFormatter.Style, fileDescriptor: Int32 = 2) {
        self.label = label
        self.formatter = LogLineFormatter(style: style)
        self.fileDescriptor = fileDescriptor
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [(key: String, value: String)] = []
        fields.reserveCapacity(metadata.count + (event.metadata?.count ?? 0))
        for (key, value) in metadata { fields.append((key, Self.text(value))) }
        if let provided = metadataProvider?.get() {
            for (key, value) in provided { fields.append((key, Self.text(value))) }
        }
        if let given = event.metadata {
            for (key, value) in given { fields.append((key, Self.text(value))) }
        }
        var line: [UInt8] = []
        line.reserveCapacity(256)
        formatter.format(into: &line, time: Self.now(), severity: LogSeverity(event.level), label: label,
                         message: event.message.description, fields: fields)
        Self.write(line, to: fileDescriptor)
    }

    static func text(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let string): return string
        case .stringConvertible(let convertible): return convertible.description
        default: return value.description
        }
    }

    static func now() -> LogLineFormatter.Timestamp {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return LogLineFormatter.Timestamp(seconds: Int(now.tv_sec), nanoseconds: Int(now.tv_nsec))
    }

    /// The whole line, retrying partial writes and EINTR; a line that cannot be written
    /// (stderr closed) is dropped: logging must never stop a call.
    static func write(_ line: [UInt8], to fileDescriptor: Int32) {
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                #if canImport(Glibc)
                let written = Glibc.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                #else
                let written = Darwin.write(fileDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
                #endif
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}

extension LogSeverity {
    public init(_ level: Logger.Level) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
