// Parser micro-benchmark: compiled together with Sources/SIP/Message and
// Sources/SIP/Headers by run.sh (swiftc -O -wmo), so it measures the parser alone.
//   sipparser time [SECONDS_PER_CASE]   messages/s per case, single-threaded (best of 5 rounds)
//   sipparser count CASE N              parses N times (for callgrind: run.sh subtracts N=0)
#if canImport(Glibc)
import Glibc
#endif

let sdp = """
v=0\r
o=sipp 53655765 2353687637 IN IP4 192.0.2.10\r
s=-\r
c=IN IP4 192.0.2.10\r
t=0 0\r
m=audio 7000 RTP/AVP 8 0 101\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:101 telephone-event/8000\r
a=fmtp:101 0-15\r
a=ptime:20\r
a=maxptime:150\r
a=sendrecv\r

"""

// The harness's uac_ivr.xml INVITE as sipp fills it in, plus the Allow, Supported and
// User-Agent a softphone adds: 12 header fields, ~900 bytes with the SDP.
let invite = Array("""
INVITE sip:100@192.0.2.99:5060 SIP/2.0\r
Via: SIP/2.0/UDP 192.0.2.10:5061;branch=z9hG4bK-4711-1-0;rport\r
From: "sipp" <sip:sipp@192.0.2.10:5061>;tag=4711SIPpTag001\r
To: <sip:100@192.0.2.99:5060>\r
Call-ID: 1-4711@192.0.2.10\r
CSeq: 1 INVITE\r
Contact: <sip:sipp@192.0.2.10:5061;transport=udp>\r
Max-Forwards: 70\r
Subject: ivr-bench\r
Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, UPDATE, PRACK, REFER, NOTIFY\r
Supported: replaces, timer, 100rel, norefersub\r
User-Agent: sipp/3.7.1 (switchback benchmark client; linux x86_64)\r
Content-Type: application/sdp\r
Content-Length: \(sdp.utf8.count)\r
\r
\(sdp)
""".utf8)

let ok = Array("""
SIP/2.0 200 OK\r
Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bKabc123;received=192.0.2.99;rport=5060\r
From: <sip:switchback@192.0.2.99>;tag=as5f2d\r
To: <sip:+15551234@gateway.example.net>;tag=73a1c0\r
Call-ID: cb-9f8e7d6c@192.0.2.99\r
CSeq: 2 INVITE\r
Contact: <sip:gw@192.0.2.30:5060>\r
Record-Route: <sip:192.0.2.30;lr>\r
Content-Length: 0\r
\r

""".utf8)

let bye = Array("""
BYE sip:sipp@192.0.2.10:5061;transport=udp SIP/2.0\r
Via: SIP/2.0/UDP 192.0.2.99:5060;branch=z9hG4bK-sb-77f1e2;rport\r
Max-Forwards: 70\r
From: <sip:100@192.0.2.99:5060>;tag=sb-5e4d3c2b\r
To: "sipp" <sip:sipp@192.0.2.10:5061>;tag=4711SIPpTag001\r
Call-ID: 1-4711@192.0.2.10\r
CSeq: 2 BYE\r
Content-Length: 0\r
\r

""".utf8)

@inline(never) func use<T>(_ x: T) { withExtendedLifetime(x) {} }

/// One parse; `typed` also reads what the transaction and dialog layers read.
@inline(never) func run(_ bytes: [UInt8], typed: Bool) {
    do {
        let m = try SIPMessageParser.parse(bytes)
        if typed {
            switch m {
            case .request(let r): use(r.topVia?.branch); use(r.from?.tag); use(r.to?.tag); use(r.cseq); use(r.callID)
            case .response(let r): use(r.topVia?.branch); use(r.from?.tag); use(r.to?.tag); use(r.cseq); use(r.callID)
            }
        }
        use(m)
    } catch {
        fatalError("benchmark message does not parse: \(error.reason) (line \(error.line))")
    }
}

let cases: [(name: String, bytes: [UInt8], typed: Bool)] = [
    ("invite", invite, false),
    ("invite+typed", invite, true),
    ("ok", ok, false),
    ("bye", bye, false),
]

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let args = CommandLine.arguments
if args.count >= 4, args[1] == "count" {
    guard let c = cases.first(where: { $0.name == args[2] }), let n = Int(args[3]) else { fatalError("unknown case \(args[2])") }
    for _ in 0..<n { run(c.bytes, typed: c.typed) }
} else if args.count >= 2, args[1] == "time" {
    let seconds = args.count >= 3 ? Double(args[2]) ?? 1 : 1
    print("sizes: INVITE \(invite.count) bytes, 200 OK \(ok.count), BYE \(bye.count)")
    for c in cases {
        var best = 0.0
        for _ in 0..<5 {
            var n = 0
            let t0 = now()
            var t = t0
            while t - t0 < seconds / 5 {
                for _ in 0..<1000 { run(c.bytes, typed: c.typed) }
                n += 1000
                t = now()
            }
            best = max(best, Double(n) / (t - t0))
        }
        print("\(c.name.padding(toLength: 14, withPad: " ", startingAt: 0)) \(Int(best)) messages/s")
    }
} else {
    print("usage: sipparser time [SECONDS] | sipparser count CASE N")
}
