import Foundation

/// The CPUs this process may run on (its affinity mask, `Cpus_allowed_list` in
/// /proc/self/status; Glibc's `sched_getaffinity` is not visible to Swift): what
/// `sip.event-loops: auto` counts, so that a server pinned to one core (`taskset -c 1`)
/// runs one SIP loop although the machine, and NIO's loop group, have more.
enum CPUAffinity {
    /// CPUs in this process's affinity mask; nil when it cannot be read.
    static func allowedCPUs() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        return count(list: String(line.dropFirst("Cpus_allowed_list:".count)))
    }

    /// CPUs in a kernel CPU list (`0-3,8,10-11`); nil for text that is none.
    static func count(list: String) -> Int? {
        var total = 0
        for part in list.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            switch bounds.count {
            case 1:
                guard bounds[0] != nil else { return nil }
                total += 1
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high else { return nil }
                total += high - low + 1
            default:
                return nil
            }
        }
        return total > 0 ? total : nil
    }
}
