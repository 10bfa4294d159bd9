/// A log line's level, with the names `--log-level` takes and the syslog priorities
/// journald reads from a `<N>` line prefix (sd-daemon(3)).
public enum LogSeverity: Int, Sendable, CaseIterable, Comparable {
    case trace, debug, info, notice, warning, error, critical

    public var name: String {
        switch self {
        case .trace: return "trace"
        case .debug: return "debug"
        case .info: return "info"
        case .notice: return "notice"
        case .warning: return "warning"
        case .error: return "error"
        case .critical: return "critical"
        }
    }

    /// syslog(3) priority: debug 7, info 6, notice 5, warning 4, err 3, crit 2.
    public var syslogPriority: UInt8 {
        switch self {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    public static func < (lhs: LogSeverity, rhs: LogSeverity) -> Bool { lhs.rawValue < rhs.rawValue }
}
