import Benchmark
import SIP

// Micro benchmarks of the pure SIP layer: the hot path of every datagram.
// The target server handles 600+ calls/s on 2 cores, roughly 10 messages per call;
// these numbers say how much of a core parsing and serialising take.

private let sdp = """
v=0\r
o=user1 53655765 2353687637 IN IP4 192.0.2.10\r
s=-\r
c=IN IP4 192.0.2.10\r
t=0 0\r
m=audio 6000 RTP/AVP 0 8 101\r
a=rtpmap:0 PCMU/8000\r
a=rtpmap:8 PCMA/8000\r
a=rtpmap:101 telephone-event/8000\r
a=fmtp:101 0-15\r
a=ptime:20\r
a=sendrecv\r

"""

private let inviteBytes: [UInt8] = Array("""
INVITE sip:1000@switchback.example.com SIP/2.0\r
Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1-0;rport\r
Max-Forwards: 70\r
From: "Alice" <sip:alice@192.0.2.10:5060>;tag=1SIPpTag001\r
To: <sip:1000@switchback.example.com>\r
Call-ID: 1-12345@192.0.2.10\r
CSeq: 1 INVITE\r
Contact: <sip:alice@192.0.2.10:5060;transport=udp>\r
Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, INFO\r
Supported: replaces, timer\r
User-Agent: sipp\r
Content-Type: application/sdp\r
Content-Length: \(sdp.utf8.count)\r
\r
\(sdp)
""".utf8)

private let okBytes: [UInt8] = Array("""
SIP/2.0 200 OK\r
Via: SIP/2.0/UDP 192.0.2.20:5060;branch=z9hG4bKabc123;received=192.0.2.20;rport=5060\r
From: <sip:switchback@192.0.2.20>;tag=as5f2d\r
To: <sip:+15551234@gateway.example.net>;tag=73a1c0\r
Call-ID: cb-9f8e7d6c@192.0.2.20\r
CSeq: 2 INVITE\r
Contact: <sip:gw@192.0.2.30:5060>\r
Record-Route: <sip:192.0.2.30;lr>\r
Content-Length: 0\r
\r

""".utf8)

private func parsedInvite() -> SIPRequest {
    guard case .request(let request)? = try? SIPMessageParser.parse(inviteBytes) else {
        fatalError("benchmark INVITE does not parse")
    }
    return request
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .kilo,
        maxDuration: .seconds(5))

    Benchmark("Parse INVITE with SDP") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? SIPMessageParser.parse(inviteBytes))
        }
    }

    Benchmark("Parse 200 OK") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try? SIPMessageParser.parse(okBytes))
        }
    }

    Benchmark("Parse INVITE + typed headers + validate") { benchmark in
        let validator = SIPRequestValidator()
        for _ in benchmark.scaledIterations {
            guard case .request(let r)? = try? SIPMessageParser.parse(inviteBytes) else { continue }
            blackHole(r.topVia)
            blackHole(r.from)
            blackHole(r.to)
            blackHole(r.cseq)
            blackHole(r.callID)
            blackHole(validator.check(r))
        }
    }

    Benchmark("Serialise 200 OK reply to INVITE") { benchmark in
        let invite = parsedInvite()
        let body = Array(sdp.utf8)
        for _ in benchmark.scaledIterations {
            var ok = SIPResponse(replyingTo: invite, statusCode: 200, toTag: "8a7b6c")
            ok.headers.add("Contact", "<sip:1000@192.0.2.99:5060>")
            ok.headers.add("Content-Type", "application/sdp")
            ok.body = body
            blackHole(ok.serialized())
        }
    }

    Benchmark("Serialise INVITE") { benchmark in
        let invite = parsedInvite()
        for _ in benchmark.scaledIterations {
            blackHole(invite.serialized())
        }
    }

    Benchmark("SDP parse + answer") { benchmark in
        for _ in benchmark.scaledIterations {
            guard let offer = try? SessionDescription(parsing: sdp) else { continue }
            blackHole(try? SDPOfferAnswer.answer(to: offer, localAddress: "192.0.2.99", localPort: 20000, sessionID: 1, sessionVersion: 1))
        }
    }

    Benchmark("Stream framing of two messages") { benchmark in
        let buffer = inviteBytes + okBytes
        for _ in benchmark.scaledIterations {
            blackHole(SIPStreamFraming.next(in: buffer))
        }
    }
}
