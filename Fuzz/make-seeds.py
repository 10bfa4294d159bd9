#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/Corpus/<target>/ from files in this repository: the RFC 4475
torture messages (Tests/SIPTests/RFC4475, a copy of ../shared/conformance/rfc4475), the
shipped and test IVR scripts, the packaged configuration and small hand-made inputs.
Run once by hand; the corpora are committed. Files already there are kept (merged
inputs included)."""
import hashlib, os, re, struct, glob

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
corpus = os.path.join(root, "Fuzz", "Corpus")


def put(target, data, name=None):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(corpus, target)
    os.makedirs(d, exist_ok=True)
    name = name or "seed-" + hashlib.sha1(data).hexdigest()[:12]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


torture = sorted(glob.glob(os.path.join(root, "Tests/SIPTests/RFC4475/*/*.dat")))
messages = []
for path in torture:
    data = open(path, "rb").read()
    messages.append(data)
    kind = os.path.basename(os.path.dirname(path))
    put("SIPMessageFuzz", data, f"rfc4475-{kind}-{os.path.basename(path)}")

# TCP: first byte is the write size the target uses; streams of one and two messages
# with keep-alives in between.
def with_length(m):
    head, sep, body = m.partition(b"\r\n\r\n")
    if re.search(rb"(?im)^(content-length|l)\s*:", head):
        return m
    return head + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
for i, m in enumerate(messages[:20]):
    put("SIPStreamFuzz", bytes([i * 7 % 64]) + with_length(m))
for a, b in zip(messages[:10], messages[10:20]):
    put("SIPStreamFuzz", b"\x05\r\n\r\n" + with_length(a) + b"\r\n\r\n" + with_length(b))

# SDP: the bodies of the torture messages that carry one, and our own offers.
for m in messages:
    body = m.partition(b"\r\n\r\n")[2]
    if body.startswith(b"v=0"):
        put("SDPFuzz", body)
put("SDPFuzz", "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\n"
               "m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
               "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n")
put("SDPFuzz", "v=0\r\no=alice 2890844526 2890844526 IN IP6 2001:db8::1\r\ns=call\r\nt=0 0\r\n"
               "m=audio 0 RTP/AVP 8\r\nc=IN IP6 2001:db8::1\r\na=inactive\r\n"
               "m=video 5000 RTP/AVP 31\r\n")
put("SDPFuzz", "v=0\no=- 0 0 IN IP4 0.0.0.0\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 9 RTP/AVP 18 0\na=recvonly\n")

# Digest: header values from the torture messages and the test vectors.
for m in messages:
    for line in re.findall(rb"(?im)^(?:www-authenticate|authorization|proxy-authenticate|proxy-authorization)\s*:\s*(.*(?:\r\n[ \t].*)*)", m):
        put("DigestFuzz", line)
put("DigestFuzz", 'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, '
                  'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
put("DigestFuzz", 'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", '
                  'algorithm=MD5, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, '
                  'cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", qop=auth, '
                  'response="8ca523f5e9506fed4657c9700eebdbec", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"')
put("DigestFuzz", 'Digest username="a\\"b", realm=r, nonce=n, uri=u, response=x')
put("DigestFuzz", 'Digest realm="switchback.local", nonce="abc", opaque="o", stale=true, algorithm=SHA-256, qop="auth"')

# RTP / RTCP / RFC 4733.
def rtp(pt, seq, ts, ssrc, payload, marker=0, csrcs=(), ext=None, pad=0):
    first = 0x80 | (0x20 if pad else 0) | (0x10 if ext else 0) | len(csrcs)
    b = struct.pack("!BBHII", first, (marker << 7) | pt, seq, ts, ssrc)
    b += b"".join(struct.pack("!I", c) for c in csrcs)
    if ext:
        b += struct.pack("!HH", ext[0], len(ext[1]) // 4) + ext[1]
    b += payload
    if pad:
        b += b"\0" * (pad - 1) + bytes([pad])
    return b
put("RTPFuzz", rtp(0, 1, 160, 0x1234, b"\xff" * 160), "pcmu-20ms")
put("RTPFuzz", rtp(8, 2, 320, 0x1234, b"\xd5" * 16, marker=1, csrcs=(1, 2)), "pcma-csrcs")
put("RTPFuzz", rtp(0, 3, 480, 0x1234, b"\x7f" * 8, ext=(0xBEDE, b"\x10\xaa\x00\x00"), pad=4), "extension-padding")
put("RTPFuzz", rtp(101, 4, 800, 0x1234, bytes([5, 0x0a, 0x01, 0x40]), marker=1), "telephone-event-start")
put("RTPFuzz", rtp(101, 5, 800, 0x1234, bytes([11, 0x8a, 0x03, 0x20])), "telephone-event-end")
put("RTPFuzz", bytes([1, 0x8a, 0x00, 0xa0]), "telephone-event-payload")
sr = struct.pack("!BBHIIIIII", 0x81, 200, 12, 0x1234, 0xE0000000, 0, 160, 10, 1600) + struct.pack("!IIIIII", 0x5678, 0x01000002, 100, 5, 0, 0)
sdes = struct.pack("!BBHIBB", 0x81, 202, 2, 0x1234, 1, 2) + b"ab" + b"\0\0"
put("RTPFuzz", sr + sdes, "rtcp-sr-sdes")
rr = struct.pack("!BBHI", 0x81, 201, 7, 0x5678) + struct.pack("!IIIIII", 0x1234, 0, 10, 0, 0, 0)
bye = struct.pack("!BBHI", 0x81, 203, 1, 0x5678)
put("RTPFuzz", rr + bye, "rtcp-rr-bye")

# IVR scripts: the shipped ones and the interop fixtures.
for path in sorted(glob.glob(os.path.join(root, "scripts/*.yaml")) + glob.glob(os.path.join(root, "Tests/InteropTests/Fixtures/scripts/*.yaml"))):
    put("IVRLoaderFuzz", open(path, "rb").read(), os.path.basename(os.path.dirname(path)) + "-" + os.path.basename(path))

# Configuration: the packaged file and the YAML literals of the loader's tests.
put("ConfigLoaderFuzz", open(os.path.join(root, "packaging/config.yaml"), "rb").read(), "packaging-config.yaml")
tests = open(os.path.join(root, "Tests/SwitchboardTests/ConfigurationLoaderTests.swift")).read()
for literal in re.findall(r'yaml: """\n(.*?)\n\s*"""', tests, re.S):
    lines = literal.split("\n")
    indent = min((len(l) - len(l.lstrip()) for l in lines if l.strip()), default=0)
    put("ConfigLoaderFuzz", "\n".join(l[indent:] for l in lines) + "\n")

# Rate decks and amounts.
put("RateDeckFuzz", "prefix,description,rate per minute,connection fee,first increment,increment\n"
                    "33,France,0.0200,0,60,60\n336,\"France, mobile\",0.0900,0.0100,30,6\n\n44,\"The \"\"UK\"\"\",0.03,0,1,1\r\n")
put("RateDeckFuzz", "\ufeffprefix,description,rate,fee,first,next\n33,France,0.02,0,60,60\n")
put("RateDeckFuzz", "33,France,0.02,0,60,60\n34,Spain,abc,0,60,60\n")
put("RateDeckFuzz", "33,\"France,0.02,0,60,60\n")
for amount in ["12.3456", "-0.5", "+7", "922337203685477.5807", "0.0001"]:
    put("RateDeckFuzz", amount)

# SMS commands.
for text in ["D.4930123456", "d.+4930123456", "U.alice P.S3cret D.555", "U.alice P.S3cret O.111 D.555",
             "D.555 B.mum N1", "N.3", "U.alice P.S3cret R.4930999", "I. O.4930777", "U.alice D.555",
             "D.555 R.666", "O.111", "N0", "B.\u00e9l\u00e8ve  \tD.1\n"]:
    put("SMSCommandFuzz", text)
