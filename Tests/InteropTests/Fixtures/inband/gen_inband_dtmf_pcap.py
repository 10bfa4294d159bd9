#!/usr/bin/env python3
"""Write a pcap of G.711 RTP whose *audio* carries DTMF tone pairs (ITU-T Q.23), for
SIPp's <exec play_pcap_audio="..."/>: the in-band path, with no RFC 4733 events and no
SIP INFO. Standard library only.

The stream is continuous, as a phone's is: silence, then each key as the sum of its row
and column sine waves (tone_ms long), then silence (gap_ms), 20 ms packets, one SSRC,
consecutive sequence numbers and timestamps. Levels follow what a phone sends: each
tone at about -10 dBFS, the column (high group) tone `--twist-db` louder than the row
(Q.24 allows a few dB either way).

  python3 gen_inband_dtmf_pcap.py "1234#" -o inband.pcap --codec pcmu --tone-ms 100 --gap-ms 100

Optionally also writes the audio as a 16-bit 8 kHz WAV (`--wav`), to listen to or to
check with sox (`sox inband.wav -n stat`).
"""
import argparse
import math
import random
import struct
import wave

ROWS = [697, 770, 852, 941]
COLUMNS = [1209, 1336, 1477, 1633]
KEYS = ["123A", "456B", "789C", "*0#D"]
RATE = 8000


def key_frequencies(key):
    for r, row in enumerate(KEYS):
        c = row.find(key.upper())
        if c >= 0:
            return ROWS[r], COLUMNS[c]
    raise SystemExit(f"not a DTMF key: {key!r} (0-9 * # A-D)")


def synthesise(digits, tone_ms, gap_ms, lead_ms, tail_ms, level_dbfs, twist_db, single_tone=None):
    """16-bit samples: lead silence, each key then a gap, tail silence. With
    `single_tone` (Hz), one plain sine of that frequency instead of keys: a sound that
    must not be taken for a key."""
    row_amp = 32767 * 10 ** (level_dbfs / 20)
    col_amp = row_amp * 10 ** (twist_db / 20)
    samples = [0] * (RATE * lead_ms // 1000)
    pairs = [key_frequencies(key) for key in digits]
    if single_tone:
        pairs, col_amp = [(single_tone, single_tone)], row_amp
    for low, high in pairs:
        n = RATE * tone_ms // 1000
        for i in range(n):
            t = i / RATE
            v = row_amp * math.sin(2 * math.pi * low * t) + col_amp * math.sin(2 * math.pi * high * t)
            samples.append(max(-32768, min(32767, int(round(v)))))
        samples += [0] * (RATE * gap_ms // 1000)
    samples += [0] * (RATE * tail_ms // 1000)
    return samples


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


def ip_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ethernet_frame(payload, ident, src="127.0.0.1", dst="127.0.0.1", sport=6000, dport=6002):
    """Ethernet + IPv4 + UDP around one RTP packet. SIPp rewrites addresses and ports
    when it replays the file, but it needs well-formed headers to find the RTP."""
    src_b = bytes(int(x) for x in src.split("."))
    dst_b = bytes(int(x) for x in dst.split("."))
    udp_len = 8 + len(payload)
    pseudo = src_b + dst_b + struct.pack("!BBH", 0, 17, udp_len)
    udp_nock = struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    ck = ip_checksum(pseudo + udp_nock) or 0xFFFF
    udp = struct.pack("!HHHH", sport, dport, udp_len, ck) + payload
    ip_nock = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, ident & 0xFFFF, 0x4000, 64, 17, 0, src_b, dst_b)
    ip = ip_nock[:10] + struct.pack("!H", ip_checksum(ip_nock)) + ip_nock[12:]
    eth = b"\x00" * 12 + b"\x08\x00"
    return eth + ip + udp


def write_pcap(path, packets, t0=1_700_000_000.0):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))  # LINKTYPE_ETHERNET
        for i, (offset, rtp) in enumerate(packets):
            data = ethernet_frame(rtp, i + 1)
            t = t0 + offset
            sec = int(t)
            usec = int(round((t - sec) * 1_000_000))
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


def rtp_packets(samples, codec, ptime_ms=20):
    encode = lin2ulaw if codec == "pcmu" else lin2alaw
    pt = 0 if codec == "pcmu" else 8
    n = RATE * ptime_ms // 1000
    ssrc, seq, ts = random.getrandbits(32), random.getrandbits(15), random.getrandbits(31)
    packets = []
    for k, i in enumerate(range(0, len(samples), n)):
        chunk = samples[i:i + n]
        chunk += [0] * (n - len(chunk))
        header = struct.pack("!BBHII", 0x80, (0x80 if k == 0 else 0) | pt, (seq + k) & 0xFFFF,
                             (ts + i) & 0xFFFFFFFF, ssrc)
        packets.append((i / RATE, header + bytes(encode(s) for s in chunk)))
    return packets


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("digits", nargs="?", default="", help="keys to send, e.g. 1234#")
    ap.add_argument("-o", "--out", required=True, help="pcap to write")
    ap.add_argument("--codec", choices=["pcmu", "pcma"], default="pcmu")
    ap.add_argument("--tone-ms", type=int, default=100, help="length of each key's tone (Q.24: at least 40 ms)")
    ap.add_argument("--gap-ms", type=int, default=100, help="silence after each key")
    ap.add_argument("--lead-ms", type=int, default=200, help="silence before the first key")
    ap.add_argument("--tail-ms", type=int, default=200, help="silence after the last gap")
    ap.add_argument("--level-dbfs", type=float, default=-10.0, help="level of the row tone")
    ap.add_argument("--twist-db", type=float, default=2.0, help="column tone above the row tone")
    ap.add_argument("--single-tone", type=float, help="instead of keys: one sine of this frequency (Hz), tone-ms long")
    ap.add_argument("--wav", help="also write the audio as a WAV")
    ap.add_argument("--seed", type=int, default=None, help="seed for SSRC/sequence/timestamp (reproducible files)")
    a = ap.parse_args()
    if a.seed is not None:
        random.seed(a.seed)
    if not a.digits and not a.single_tone:
        ap.error("give keys or --single-tone")
    samples = synthesise(a.digits, a.tone_ms, a.gap_ms, a.lead_ms, a.tail_ms, a.level_dbfs, a.twist_db, a.single_tone)
    if a.wav:
        with wave.open(a.wav, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(struct.pack("<%dh" % len(samples), *samples))
    packets = rtp_packets(samples, a.codec)
    write_pcap(a.out, packets)
    print(f"wrote {a.out}: {len(packets)} packets ({a.codec}), {len(samples) / RATE:.2f} s, keys {a.digits or f'none ({a.single_tone:g} Hz tone)'}")


if __name__ == "__main__":
    main()
