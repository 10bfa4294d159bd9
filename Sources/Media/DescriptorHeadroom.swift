#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Descriptors kept free for the runtime and the store: the server stops opening media
/// sockets before the process runs out, because at EMFILE Swift's runtime itself fails
/// (libdispatch's worker-pool monitor traps when it cannot open `/proc/self/task/N/stat`,
/// SQLite cannot open its journal).
public enum DescriptorHeadroom {
    /// Descriptors left to others.
    public static let reserve = 16
    /// Above this soft limit the RTP port range runs out first (two sockets a pair): no
    /// probe, which would also grow the kernel's descriptor table to the probed number.
    static let probedLimit = 65_536
    /// One probe at a time: two loops probing at once would each find the other's probe
    /// on the floor slot and read "full" (seen with `sip.event-loops: 2` at 300 calls/s).
    private static let probing = Mutex(())

    /// Whether at least about `reserve` descriptors are free: descriptors are handed out
    /// lowest first, so the lowest free one at or above `limit - reserve` is exactly that
    /// number while the top `reserve` slots are unused.
    public static func isAvailable(reserve: Int = reserve) -> Bool {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0,
              limit.rlim_cur <= UInt(probedLimit) else { return true }
        let floor = Int32(limit.rlim_cur) - Int32(reserve)
        guard floor > 2 else { return false }
        return probing.withLock { _ in
            for open in [STDERR_FILENO, STDOUT_FILENO, STDIN_FILENO] {
                let probe = fcntl(open, F_DUPFD_CLOEXEC, floor)
                if probe >= 0 {
                    close(probe)
                    return probe == floor
                }
                if errno == EMFILE || errno == EINVAL { return false }
            }
            return true   // no standard descriptor to probe with: cannot tell
        }
    }
}
