"""RTP in a classic libpcap file (Ethernet/IPv4/UDP), for SIPp's
<exec play_pcap_audio="..."/>, shared by gen_dtmf_pcap.py, gen_audio_pcap.py and
../inband/gen_inband_dtmf_pcap.py. Standard library only (no scapy).

SIPp rewrites the IP addresses and UDP ports when it replays a file, but keeps the RTP
header as written and needs well-formed headers to find the RTP.
"""
import random
import struct

RATE = 8000

# Destination and source MAC of the Ethernet header: locally administered addresses.
LOCAL_MACS = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"

SEG_UEND = [0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF]
SEG_AEND = [0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF]


def _seg(v, table):
    for i, end in enumerate(table):
        if v <= end:
            return i
    return 8


def lin2ulaw(s):  # ITU-T G.711 mu-law (as in Sun's g711.c)
    s >>= 2
    mask = 0xFF
    if s < 0:
        s, mask = -s, 0x7F
    s = min(s, 8159) + (0x84 >> 2)
    seg = _seg(s, SEG_UEND)
    if seg >= 8:
        return 0x7F ^ mask
    return ((seg << 4) | ((s >> (seg + 1)) & 0xF)) ^ mask


def lin2alaw(s):  # ITU-T G.711 A-law
    s >>= 3
    mask = 0xD5
    if s < 0:
        s, mask = -s - 1, 0x55
    seg = _seg(s, SEG_AEND)
    if seg >= 8:
        return 0x7F ^ mask
    a = (seg << 4) | (((s >> 1) if seg < 2 else (s >> seg)) & 0xF)
    return a ^ mask


def g711_rtp_packets(samples, codec, ptime_ms=20):
    """16-bit 8 kHz samples as G.711 RTP (PCMU PT 0 or PCMA PT 8, RFC 3551), one packet per
    `ptime_ms`, the last padded with silence; random SSRC, first sequence number and
    timestamp (RFC 3550 §5.1), marker on the first packet. Returns [(time_seconds, rtp)]."""
    encode = lin2ulaw if codec == "pcmu" else lin2alaw
    pt = 0 if codec == "pcmu" else 8
    n = RATE * ptime_ms // 1000
    ssrc, seq, ts = random.getrandbits(32), random.getrandbits(15), random.getrandbits(31)
    packets = []
    for k, i in enumerate(range(0, len(samples), n)):
        chunk = list(samples[i:i + n])
        chunk += [0] * (n - len(chunk))
        header = struct.pack("!BBHII", 0x80, (0x80 if k == 0 else 0) | pt, (seq + k) & 0xFFFF,
                             (ts + i) & 0xFFFFFFFF, ssrc)
        packets.append((i / RATE, header + bytes(encode(s) for s in chunk)))
    return packets


def ip_checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, dst, sport, dport, payload: bytes, ident: int, macs=LOCAL_MACS) -> bytes:
    """Ethernet + IPv4 + UDP (with its checksum) around one RTP packet."""
    src_b = bytes(int(x) for x in src.split("."))
    dst_b = bytes(int(x) for x in dst.split("."))
    udp_len = 8 + len(payload)
    pseudo = src_b + dst_b + struct.pack("!BBH", 0, 17, udp_len)
    udp_nock = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    ck = ip_checksum(pseudo + udp_nock) or 0xFFFF
    udp = struct.pack("!HHHH", sport, dport, udp_len, ck) + payload
    ip_nock = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident & 0xFFFF, 0x4000, 64, 17, 0, src_b, dst_b)
    ip = ip_nock[:10] + struct.pack("!H", ip_checksum(ip_nock)) + ip_nock[12:]
    eth = macs + b"\x08\x00"
    return eth + ip + udp


def write_pcap(path, packets, src="127.0.0.1", dst="127.0.0.1", sport=6000, dport=6002, t0=1_700_000_000.0,
               macs=LOCAL_MACS):
    """Writes [(time_seconds, rtp)] as a pcap, packet times counted from `t0`."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
        for i, (t, rtp) in enumerate(packets):
            data = frame(src, dst, sport, dport, rtp, i + 1, macs)
            ts = t0 + t
            sec = int(ts)
            usec = int(round((ts - sec) * 1_000_000))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)
