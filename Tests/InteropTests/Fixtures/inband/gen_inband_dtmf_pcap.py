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
import os
import random
import struct
import sys
import wave

# The RTP/pcap writer shared with the RFC 4733 generators (resources keep the Fixtures tree).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sipp"))
from rtp_pcap import RATE, g711_rtp_packets, write_pcap  # noqa: E402

ROWS = [697, 770, 852, 941]
COLUMNS = [1209, 1336, 1477, 1633]
KEYS = ["123A", "456B", "789C", "*0#D"]


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
    packets = g711_rtp_packets(samples, a.codec)
    # All-zero MAC addresses, as this generator always wrote them.
    write_pcap(a.out, packets, macs=b"\x00" * 12)
    print(f"wrote {a.out}: {len(packets)} packets ({a.codec}), {len(samples) / RATE:.2f} s, keys {a.digits or f'none ({a.single_tone:g} Hz tone)'}")


if __name__ == "__main__":
    main()
