#!/usr/bin/env python3
"""Load run against a release build of the server, all on 127.0.0.1, bounded.

  Benchmarks/load/run_load.py --rate 600 --seconds 20 --hold-ms 2000
  Benchmarks/load/run_load.py --concurrent 2600 --hold-ms 30000 --capture-secs 8

Starts `switchback serve` (release) with the demo access number, drives it with sipp
(load_uac.xml: INVITE, 200, ACK, hold while the welcome prompt streams, BYE), and prints
calls attempted / succeeded / failed, INVITE->200 percentiles, the server's CPU time
and peak RSS, and, with --capture-secs, RTP loss and the worst inter-packet gap measured
by tshark on what the server sent during the hold.
"""
import argparse, csv, glob, os, re, resource, shutil, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from loadstats import percentile, cpu_seconds, peak_rss_kb, sipp_counts, sipp_rtts  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", type=float, help="calls per second (rate mode)")
    ap.add_argument("--seconds", type=float, default=20, help="how long to offer calls (rate mode)")
    ap.add_argument("--concurrent", type=int, help="hold this many calls at once (concurrency mode)")
    ap.add_argument("--hold-ms", type=int, default=2000)
    ap.add_argument("--capture-secs", type=float, default=0, help="tshark capture of server RTP during the hold")
    ap.add_argument("--port", type=int, default=5099)
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build-release/release/switchback"))
    a = ap.parse_args()
    if not (a.rate or a.concurrent):
        ap.error("give --rate or --concurrent")
    for tool in ("sipp",):
        if not shutil.which(tool):
            sys.exit(f"{tool} missing: apt-get install sip-tester")
    work = tempfile.mkdtemp(prefix="switchback-load-")
    config = os.path.join(work, "load.yaml")
    with open(config, "w") as f:
        f.write(f"""sip:
  listen: [udp:127.0.0.1:{a.port}]
media: {{ rtp-ports: 20000-39999, bind: 127.0.0.1 }}
sounds: {ROOT}/sounds
campaigns:
  demo: {{ script: {ROOT}/scripts/demo.yaml }}
access-numbers:
  "100": {{ campaign: demo }}
""")
    log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([a.binary, "serve", "--config", config, "--http-listen", "127.0.0.1:0",
                               "--data-dir", os.path.join(work, "data"), "--log-level", "warning"],
                              stdout=log, stderr=subprocess.STDOUT, cwd=work)
    time.sleep(1.5)
    cpu0 = cpu_seconds(server.pid)
    media_port = 60000
    if a.rate:
        total = int(a.rate * a.seconds)
        limit = int(a.rate * (a.hold_ms / 1000.0 + 2) * 1.5) + 10
        sipp_args = ["-r", str(a.rate), "-m", str(total), "-l", str(limit)]
    else:
        total = a.concurrent
        # Ramp at 200 calls/s until the target is held.
        sipp_args = ["-r", "200", "-m", str(total), "-l", str(total)]
    sipp_cmd = ["sipp", f"127.0.0.1:{a.port}", "-sf", os.path.join(os.path.dirname(os.path.abspath(__file__)), "load_uac.xml"),
                "-s", "100", "-i", "127.0.0.1", "-p", "5098", "-mp", str(media_port), "-d", str(a.hold_ms),
                "-trace_rtt", "-rtt_freq", "1", "-trace_stat", "-fd", "1", "-nostdin", "-timeout",
                str(int((total / (a.rate or 200)) + a.hold_ms / 1000 + 60)) + "s", "-max_socket", "65000",
                "-timeout_error"] + sipp_args
    capture = None
    sipp = subprocess.Popen(sipp_cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "sipp.err"), "w"))
    if a.capture_secs:
        ramp = total / (a.rate or 200)
        time.sleep(min(ramp + 1, ramp + a.hold_ms / 2000))
        pcap = os.path.join(work, "rtp.pcap")
        capture = subprocess.run(["tshark", "-i", "lo", "-B", "256", "-f", f"udp dst port {media_port}", "-F", "pcap",
                                  "-w", pcap, "-a", f"duration:{a.capture_secs}", "-q"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sipp.wait()
    cpu = cpu_seconds(server.pid) - cpu0
    rss = peak_rss_kb(server.pid)
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
    ok, failed = sipp_counts(glob.glob(os.path.join(work, "*_.csv")) + glob.glob(os.path.join(work, "load_uac_*[0-9].csv")))
    rtts = sipp_rtts(glob.glob(os.path.join(work, "*_rtt.csv")))
    print(f"offered calls        {total}" + (f" at {a.rate}/s" if a.rate else f" held {a.hold_ms} ms each"))
    print(f"successful / failed  {ok} / {failed}  ({100.0 * failed / max(1, ok + failed):.3f} % failed)")
    print(f"INVITE->200 ms       p50 {percentile(rtts, 50):.2f}  p95 {percentile(rtts, 95):.2f}  p99 {percentile(rtts, 99):.2f}  max {max(rtts) if rtts else float('nan'):.2f}  (n={len(rtts)})")
    print(f"server CPU seconds   {cpu:.2f}  peak RSS {rss / 1024:.1f} MB  ({rss / max(1, a.concurrent or int((a.rate or 1) * (a.hold_ms / 1000 + 1))):.1f} KB per held call)")
    if capture is not None:
        out = subprocess.run(["tshark", "-r", os.path.join(work, "rtp.pcap"), "-q", "-d", f"udp.port=={media_port},rtp", "-z", "rtp,streams"],
                             capture_output=True, text=True).stdout
        streams = lost = 0
        max_delta = 0.0
        packets = 0
        mean_jitter = []
        for line in out.splitlines():
            # Payload, Pkts, Lost (pct), Min Delta, Mean Delta, Max Delta, ...
            m = re.search(r"(?:g711U|ITU-T G\.711 PCMU)\s+(\d+)\s+(-?\d+)\s+\([^)]*\)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", line)
            if m:
                streams += 1
                packets += int(m.group(1))
                lost += max(0, int(m.group(2)))
                max_delta = max(max_delta, float(m.group(5)))
                mean_jitter.append(float(m.group(7)))
        print(f"RTP captured         {streams} streams, {packets} packets, {lost} lost, worst gap {max_delta:.1f} ms, "
              f"mean jitter {sum(mean_jitter) / max(1, len(mean_jitter)):.1f} ms over {a.capture_secs} s")
    print(f"work dir             {work}")

if __name__ == "__main__":
    main()
