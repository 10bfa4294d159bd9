import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif
import Logging
import SwitchbackLogging

/// `--log-format`: `text` (the default; journald style, without a time of its own and
/// with a `<N>` priority prefix, when stderr is the journal), `journal` (that style
/// always) or `json` (one object per line).
public enum LogFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case journal
    case json

    /// The line style for this process: `text` becomes `journal` under systemd's journal.
    func style(environment: [String: String]) -> LogLineFormatter.Style {
        switch self {
        case .json: return .json
        case .journal: return .journal
        case .text: return Self.stderrIsJournal(environment) ? .journal : .text
        }
    }

    /// systemd sets `JOURNAL_STREAM=<device>:<inode>` of the stream it connected to the
    /// journal (systemd.exec(5)); stderr is that stream when its device and inode match.
    static func stderrIsJournal(_ environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var status = stat()
        guard fstat(2, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}

enum LoggingSetup {
    /// The logging backend is process-wide; the CLI chooses it once at start.
    static func bootstrap(_ format: LogFormat, level: Logger.Level, environment: [String: String]) {
        let style = format.style(environment: environment)
        LoggingSystem.bootstrap { label in
            var handler = LogLineHandler(label: label, style: style)
            handler.logLevel = level
            return handler
        }
    }
}
