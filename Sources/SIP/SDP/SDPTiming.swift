/// `t=<start-time> <stop-time>` (RFC 4566 §5.9), NTP seconds.
public struct SDPTiming: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64

    public init(start: UInt64, stop: UInt64) {
        self.start = start
        self.stop = stop
    }

    init(parsing value: Substring, line: Int) throws(SDPParseError) {
        let f = SDPText.fields(value)
        guard f.count == 2, let s = UInt64(f[0]), let e = UInt64(f[1]) else {
            throw SDPParseError(line: line, reason: "t= needs two decimal times")
        }
        start = s
        stop = e
    }
}
