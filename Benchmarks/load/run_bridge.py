#!/usr/bin/env python3
"""Bridged-call load against a release build of the server, all on 127.0.0.1, bounded.

  # (1) call rate: bridged calls per second, 2 s of two-way RTP each
  Benchmarks/load/run_bridge.py --rate 20 --seconds 30 --hold-ms 2000 --capture-secs 5
  # (2) concurrency: N bridged calls held 30 s, RTP relayed both ways
  Benchmarks/load/run_bridge.py --concurrent 500 --hold-ms 30000 --capture-secs 5

Topology (one machine, loopback):

  sipp UAC (bridge_uac.xml, :5098, RTP :60000) --INVITE 200--> switchback (:5099)
      switchback runs bridge.yaml: `dial 4930777` through trunk `pstn`
  switchback --INVITE 4930777--> sipp UAS (bridge_uas.xml, :5097, RTP :62000), answers
  both sipps play a PCMU pcap (20 ms packets, 50 packets/s) for the whole hold;
  the server relays A->B and B->A.

Measured:
  - calls offered / successful / failed on the caller side, and what the PSTN side saw;
  - INVITE->200 percentiles at the caller (includes the B leg's whole setup);
  - server CPU seconds (utime+stime from /proc/PID/stat) and peak RSS (VmHWM), whole run;
  - during a capture window in the steady state (--capture-secs): RTP packets the server
    sent to the two sipps (= packets relayed, counted by dumpcap on lo), RTP loss and the
    worst gap (tshark rtp,streams), active calls (/metrics), and the server's CPU over
    exactly that window divided by the packets relayed in it: CPU microseconds per packet.

The server's binary: --binary, default .build/release/switchback of this tree. Build it
with `swift build -c release --product switchback` (in a copy of the tree on a shared
machine). Needs root (sipp plays pcaps through a raw socket; dumpcap captures lo).
"""
import argparse, csv, glob, json, os, re, resource, shutil, signal, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loadstats import percentile, cpu_seconds, peak_rss_kb, sipp_counts, sipp_rtts  # noqa: E402
import payer  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
AUDIO_PCAP_TOOL = os.path.join(ROOT, "Tests", "InteropTests", "Fixtures", "sipp", "gen_audio_pcap.py")
SERVER_SIP, UAC_SIP, UAS_SIP = 5099, 5098, 5097
UAC_MEDIA, UAS_MEDIA = 60000, 62000
HTTP = 8099


def active_calls():
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{HTTP}/metrics", timeout=5).read().decode()
        m = re.search(r"^switchback_active_calls (\d+)", body, re.M)
        return int(m.group(1)) if m else -1
    except Exception:
        return -1


def make_pcap(work, name, hertz, seconds):
    """A PCMU RTP pcap of a sine, `seconds` long, for sipp's play_pcap_audio."""
    wav = os.path.join(work, name + ".wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", wav, "synth", str(seconds), "sine", str(hertz),
                    "vol", "0.3"], check=True)
    subprocess.run([sys.executable, AUDIO_PCAP_TOOL, wav, "-o", os.path.join(work, name + ".pcap"), "--codec", "pcmu"],
                   check=True, stdout=subprocess.DEVNULL)
    shutil.copy(os.path.join(HERE, "bridge_uac.xml"), work)
    shutil.copy(os.path.join(HERE, "bridge_uas.xml"), work)


def rtp_streams(pcap):
    """Per destination port: (streams, packets, lost, worst gap ms) of the RTP in the capture."""
    out = subprocess.run(["tshark", "-r", pcap, "-q", "-d", f"udp.port=={UAC_MEDIA},rtp", "-d", f"udp.port=={UAS_MEDIA},rtp",
                          "-z", "rtp,streams"], capture_output=True, text=True).stdout
    result = {UAC_MEDIA: [0, 0, 0, 0.0], UAS_MEDIA: [0, 0, 0, 0.0]}
    for line in out.splitlines():
        # Start, End, Src IP, Src port, Dst IP, Dst port, SSRC, Payload, Pkts, Lost (pct), Min/Mean/Max delta...
        m = re.search(r"\s(\d+)\s+0x[0-9A-Fa-f]+\s+(?:g711U|ITU-T G\.711 PCMU)\s+(\d+)\s+(-?\d+)\s+\([^)]*\)\s+"
                      r"([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
        if m and int(m.group(1)) in result:
            entry = result[int(m.group(1))]
            entry[0] += 1
            entry[1] += int(m.group(2))
            entry[2] += max(0, int(m.group(3)))
            entry[3] = max(entry[3], float(m.group(6)))
    return result[UAC_MEDIA], result[UAS_MEDIA]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rate", type=float, help="bridged calls per second (rate mode)")
    ap.add_argument("--seconds", type=float, default=30, help="how long to offer calls (rate mode)")
    ap.add_argument("--concurrent", type=int, help="hold this many bridged calls at once (concurrency mode)")
    ap.add_argument("--ramp", type=float, default=50, help="calls per second while ramping up (concurrency mode)")
    ap.add_argument("--hold-ms", type=int, default=2000)
    ap.add_argument("--capture-secs", type=float, default=5, help="steady-state window for RTP and CPU per packet (0: none)")
    ap.add_argument("--binary", default=os.environ.get("SWITCHBACK_BINARY", os.path.join(ROOT, ".build/release/switchback")))
    ap.add_argument("--json", help="also write the figures to this file")
    a = ap.parse_args()
    if not (a.rate or a.concurrent):
        ap.error("give --rate or --concurrent")
    for tool, package in (("sipp", "sip-tester"), ("sox", "sox"), ("dumpcap", "tshark"), ("tshark", "tshark")):
        if not shutil.which(tool):
            sys.exit(f"{tool} missing: apt-get install {package}")
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"no server binary at {a.binary}: swift build -c release --product switchback")

    work = tempfile.mkdtemp(prefix="switchback-bridge-")
    if a.rate:
        total = int(a.rate * a.seconds)
        rate = a.rate
        limit = int(a.rate * (a.hold_ms / 1000.0 + 2) * 1.5) + 10
    else:
        total = a.concurrent
        rate = a.ramp
        limit = total
    ramp_secs = total / rate
    talk_secs = a.hold_ms / 1000.0 + 3
    make_pcap(work, "uac", 1000, talk_secs)
    make_pcap(work, "uas", 500, talk_secs)

    config = os.path.join(work, "bridge.yaml")
    with open(config, "w") as f:
        f.write(f"""sip:
  listen: [udp:127.0.0.1:{SERVER_SIP}]
media: {{ rtp-ports: 20000-39999, bind: 127.0.0.1 }}
sounds: {ROOT}/sounds
trunks:
  - name: pstn
    uri: sip:127.0.0.1:{UAS_SIP}
    destinations: ["*"]
campaigns:
  bridge: {{ script: {HERE}/bridge.yaml }}
access-numbers:
  "200": {{ campaign: bridge }}
""" + payer.CONFIG)
    payer.fund(a.binary, os.path.join(work, "data"))

    def more_files():
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([a.binary, "serve", "--config", config, "--http-listen", f"127.0.0.1:{HTTP}",
                               "--data-dir", os.path.join(work, "data"), "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT, cwd=work, preexec_fn=more_files)
    time.sleep(2)
    if server.poll() is not None:
        sys.exit(f"server exited: {open(os.path.join(work, 'server.log')).read()}")
    cpu_start = cpu_seconds(server.pid)
    bound = int(ramp_secs + a.hold_ms / 1000 + 60)
    uas = subprocess.Popen(["sipp", "-sf", "bridge_uas.xml", "-i", "127.0.0.1", "-p", str(UAS_SIP), "-mp", str(UAS_MEDIA),
                            "-m", str(total), "-trace_stat", "-fd", "1", "-nostdin", "-max_socket", "16000",
                            "-timeout", f"{bound + 10}s"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "uas.err"), "w"),
                           preexec_fn=more_files)
    time.sleep(0.5)
    started = time.monotonic()
    uac = subprocess.Popen(["sipp", f"127.0.0.1:{SERVER_SIP}", "-sf", "bridge_uac.xml", "-s", "200", "-i", "127.0.0.1",
                            "-p", str(UAC_SIP), "-mp", str(UAC_MEDIA), "-d", str(a.hold_ms),
                            "-r", str(rate), "-m", str(total), "-l", str(limit),
                            "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "1", "-nostdin", "-max_socket", "16000",
                            "-timeout", f"{bound}s", "-timeout_error"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "uac.err"), "w"),
                           preexec_fn=more_files)

    window = None
    if a.capture_secs:
        # Steady state: every call set up (concurrency mode), or the rate running with
        # hold-time worth of calls up (rate mode).
        settle = ramp_secs + 2 if a.concurrent else min(ramp_secs / 2, a.hold_ms / 1000 + 3)
        time.sleep(max(0, settle - (time.monotonic() - started)))
        pcap = os.path.join(work, "relay.pcap")
        calls_before = active_calls()
        cpu0, t0 = cpu_seconds(server.pid), time.monotonic()
        capture = subprocess.run(["dumpcap", "-i", "lo", "-s", "64", "-B", "512", "-P",
                                  "-f", f"udp portrange 20000-39999 and (udp port {UAC_MEDIA} or udp port {UAS_MEDIA})",
                                  "-a", f"duration:{a.capture_secs}", "-w", pcap],
                                 capture_output=True, text=True)
        cpu1, t1 = cpu_seconds(server.pid), time.monotonic()
        calls_after = active_calls()
        dropped = re.search(r"Packets dropped[^:]*:\s*(\d+)|dropped[^0-9]*(\d+)", capture.stderr)
        window = {"seconds": t1 - t0, "cpu": cpu1 - cpu0, "calls": (calls_before, calls_after), "pcap": pcap,
                  "dumpcap": capture.stderr.strip().splitlines()[-1:] if capture.stderr else []}

    uac.wait()
    ended = time.monotonic()
    time.sleep(2)
    uas.send_signal(signal.SIGINT) if uas.poll() is None else None
    try:
        uas.wait(timeout=10)
    except subprocess.TimeoutExpired:
        uas.kill()
    cpu_total = cpu_seconds(server.pid) - cpu_start
    rss = peak_rss_kb(server.pid)
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()

    ok, failed = sipp_counts(glob.glob(os.path.join(work, "bridge_uac_*_.csv")))
    pstn_ok, pstn_failed = sipp_counts(glob.glob(os.path.join(work, "bridge_uas_*_.csv")))
    times = sipp_rtts(glob.glob(os.path.join(work, "bridge_uac_*_rtt.csv")))
    figures = {
        "mode": "rate" if a.rate else "concurrent", "offered": total, "rate": rate, "hold_ms": a.hold_ms,
        "successful": ok, "failed": failed, "pstn_successful": pstn_ok, "pstn_failed": pstn_failed,
        "invite_200_ms": {"p50": percentile(times, 50), "p95": percentile(times, 95), "p99": percentile(times, 99),
                          "max": max(times) if times else float("nan"), "n": len(times)},
        "server_cpu_s": round(cpu_total, 2), "wall_s": round(ended - started, 1), "peak_rss_mb": round(rss / 1024, 1),
        "work": work,
    }
    print(f"offered bridged calls  {total}" + (f" at {a.rate}/s" if a.rate else f" ramped at {rate}/s")
          + f", held {a.hold_ms} ms each")
    print(f"caller side            {ok} successful / {failed} failed ({100.0 * failed / max(1, ok + failed):.2f} % failed)")
    print(f"PSTN side (trunk)      {pstn_ok} successful / {pstn_failed} failed")
    print(f"INVITE->200 ms         p50 {percentile(times, 50):.1f}  p95 {percentile(times, 95):.1f}  "
          f"p99 {percentile(times, 99):.1f}  max {figures['invite_200_ms']['max']:.1f}  (n={len(times)})")
    print(f"server CPU (whole run) {cpu_total:.2f} s over {ended - started:.1f} s wall "
          f"({100 * cpu_total / max(0.001, ended - started):.0f} % of one core), peak RSS {rss / 1024:.1f} MB")
    if window:
        ua, pstn = rtp_streams(window["pcap"])
        # What the sipps sent the server in the same window: relayed out vs offered in
        # separates a starved sender from loss inside the server.
        offered = subprocess.run(["tshark", "-r", window["pcap"], "-Y", "udp.dstport >= 20000 && udp.dstport <= 39999",
                                  "-T", "fields", "-e", "frame.number"], capture_output=True, text=True).stdout.count("\n")
        packets = ua[1] + pstn[1]
        lost = ua[2] + pstn[2]
        per_packet_us = 1e6 * window["cpu"] / packets if packets else float("nan")
        figures["window"] = {
            "seconds": round(window["seconds"], 2), "active_calls": window["calls"],
            "relayed_packets": packets, "relayed_pps": round(packets / window["seconds"]),
            "to_caller": {"streams": ua[0], "packets": ua[1], "lost": ua[2], "worst_gap_ms": ua[3]},
            "to_pstn": {"streams": pstn[0], "packets": pstn[1], "lost": pstn[2], "worst_gap_ms": pstn[3]},
            "offered_to_server": offered, "lost": lost, "cpu_s": round(window["cpu"], 3), "cpu_us_per_packet": round(per_packet_us, 2),
            "dumpcap": window["dumpcap"],
        }
        print(f"steady window          {window['seconds']:.1f} s, active calls {window['calls'][0]} -> {window['calls'][1]}")
        print(f"RTP relayed            {packets} packets ({packets / window['seconds']:.0f}/s): to callers {ua[1]} in {ua[0]} "
              f"streams, to PSTN {pstn[1]} in {pstn[0]} streams; lost {lost} "
              f"({100.0 * lost / max(1, packets + lost):.3f} %); worst gap {max(ua[3], pstn[3]):.1f} ms")
        print(f"RTP offered to server  {offered} packets ({offered / window['seconds']:.0f}/s) sent by the sipps in the window")
        print(f"server CPU per packet  {window['cpu']:.2f} s / {packets} = {per_packet_us:.1f} us "
              f"({100 * window['cpu'] / window['seconds']:.0f} % of one core in the window)  {' '.join(window['dumpcap'])}")
    print(f"work dir               {work}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(figures, f, indent=2)


if __name__ == "__main__":
    main()
