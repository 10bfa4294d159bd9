// Formats N call-log lines the way the server's log handler did before issue 19
// (Foundation JSONSerialization, sorted keys) or does now (LogLineFormatter), for
// callgrind's instruction counts. Built and run by Benchmarks/logging/callgrind.sh.
import Foundation

let arguments = CommandLine.arguments
let mode = arguments.count > 1 ? arguments[1] : "json"
let count = arguments.count > 2 ? Int(arguments[2]) ?? 100_000 : 100_000

/// A typical call-step line: the call's id plus a handful of step fields.
let lines: [[String: String]] = [
    ["call-id": "a84b4c76e66710@pc33.atlanta.example.com", "from": "5551234", "to": "100", "transport": "udp"],
    ["call-id": "a84b4c76e66710@pc33.atlanta.example.com", "step": "node-entered", "node": "collect", "verb": "collect",
     "source": "scripts/demo.yaml:12:3", "event": "node-entered"],
    ["call-id": "a84b4c76e66710@pc33.atlanta.example.com", "playback": "3", "prompts": "en/welcome en/enter-digits"],
    ["call-id": "a84b4c76e66710@pc33.atlanta.example.com", "by": "caller", "cause": "normal", "duration": "12.345", "talk": "11.002"],
]
let messages = ["call received", "node-entered", "prompt started", "hangup"]
let output = FileHandle(forWritingAtPath: "/dev/null")!

func oldLine(_ index: Int) {
    // What JSONLogHandler.log(event:) did per line (c5b119f).
    var object: [String: String] = [:]
    for (key, value) in lines[index % lines.count] { object[key] = "\(value)" }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var time = now.tv_sec
    var parts = tm()
    gmtime_r(&time, &parts)
    object["time"] = String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
                            parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, Int(now.tv_nsec / 1_000_000))
    object["level"] = "info"
    object["message"] = messages[index % messages.count]
    object["label"] = "switchback"
    guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
    line.append(0x0A)
    output.write(line)
}

let formatter = LogLineFormatter(style: mode == "text" ? .text : .json)
let descriptor = output.fileDescriptor
func newLine(_ index: Int) {
    // What LogLineHandler.log(event:) does per line.
    let metadata = lines[index % lines.count]
    var fields: [(key: String, value: String)] = []
    fields.reserveCapacity(metadata.count)
    for (key, value) in metadata { fields.append((key, value)) }
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    var line: [UInt8] = []
    line.reserveCapacity(256)
    formatter.format(into: &line, time: .init(seconds: Int(now.tv_sec), nanoseconds: Int(now.tv_nsec)), severity: .info,
                     label: "switchback", message: messages[index % messages.count], fields: fields)
    line.withUnsafeBytes { _ = write(descriptor, $0.baseAddress!, $0.count) }
}

for index in 0..<count {
    if mode == "foundation" { oldLine(index) } else { newLine(index) }
}
