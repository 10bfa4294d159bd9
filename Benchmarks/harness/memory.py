#!/usr/bin/env python3
"""Memory of one Switchback process (issue 19, item 5): RSS per concurrent held call, and
growth per completed call over several batches of calls on the same process.

1. Held calls: a fresh server (Benchmarks/harness/restart.sh: release build, pinned, the
   harness's `hold` service), a warm-up batch, then `--held` calls placed with the
   harness's scenarios/uac_hold.xml (caller streams G.711, the server plays into a bound
   socket at the offer's address) and all held together for `--plateau` seconds.
   RSS per held call = (VmRSS at the plateau - VmRSS before the calls) / held calls.
2. Completed calls: on the same process, `--batches` x `--calls` calls of the harness's
   `sig` shape (INVITE, 200, ACK, BYE at once) at `--rate`. VmRSS is read before and after
   each batch (after the server reports no active call); growth per completed call is
   (RSS after the last batch - RSS after the first) / calls in the later batches, so that
   the first batch's one-time costs (lazy tables, caches, allocator arenas) are left out.

    Benchmarks/harness/memory.py [--held 1000] [--plateau 10] [--batches 3] [--calls 3000] [--rate 150]

Needs sipp (sip-tester), sox, sipsak and a release build (SWITCHBACK_BIN, default
.build-release/release/switchback). Stops every process it starts by its PID.
Load runs on core 0, the server on core 1 ($SWITCHBACK_CORES), as in the shared harness.
"""
import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
TARGET = "127.0.0.1:5072"
METRICS = "http://127.0.0.1:18081/metrics"


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        m = re.search(r"^VmRSS:\s+(\d+)", f.read(), re.M)
    return int(m.group(1))


def active_calls():
    try:
        body = urllib.request.urlopen(METRICS, timeout=5).read().decode()
        m = re.search(r"^switchback_active_calls (\d+)", body, re.M)
        return int(m.group(1)) if m else -1
    except Exception:
        return -1


def settle(linger=2, limit=60):
    """Waits (bounded) until the server has no active call, then `linger` seconds: completed
    transactions stay for Timer J/K (32 s over UDP) before they are freed."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and active_calls() != 0:
        time.sleep(0.5)
    time.sleep(linger)


def scenario(bench, name, work):
    with open(os.path.join(bench, "scenarios", name)) as f:
        text = f.read()
    path = os.path.join(work, name)
    with open(path, "w") as f:
        f.write(text.replace("@CALLER_AUDIO@", os.path.join(bench, "sounds", "caller-10s.alaw")).replace("@PT@", "8")
                .replace("@CODEC@", "PCMA").replace("@DTMF_PCAP@", "/usr/share/sip-tester/dtmf_2833_1.pcap"))
    return path


def sipp(work, scen, service, rate, calls, limit, extra=(), wait=True):
    args = ["taskset", "-c", "0", "sipp", TARGET, "-sf", scen, "-s", service, "-i", "127.0.0.1", "-p", "5061",
            "-mi", "127.0.0.1", "-mp", "6000", "-r", str(rate), "-m", str(calls), "-l", str(limit), "-nostdin",
            "-trace_stat", "-fd", "1", "-timeout", f"{int(calls / rate) + 120}s", *extra]
    p = subprocess.Popen(args, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if wait:
        p.wait()
    return p


def counts(work, scen):
    """(successful, failed) from the last row of sipp's -trace_stat file for this scenario."""
    base = os.path.splitext(os.path.basename(scen))[0]
    path = next((os.path.join(work, f) for f in os.listdir(work) if f.startswith(base + "_") and f.endswith(".csv")), None)
    if not path:
        return 0, 0
    rows = open(path, encoding="latin-1").read().splitlines()
    hdr, last = rows[0].split(";"), rows[-1].split(";")
    row = dict(zip(hdr, last))
    return int(row.get("SuccessfulCall(C)", 0)), int(row.get("FailedCall(C)", 0))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--held", type=int, default=1000)
    ap.add_argument("--plateau", type=int, default=10)
    ap.add_argument("--batches", type=int, default=3)
    ap.add_argument("--calls", type=int, default=3000)
    ap.add_argument("--rate", type=int, default=150)
    ap.add_argument("--linger", type=int, default=35, help="seconds after a batch before RSS is read (Timer J is 32 s)")
    ap.add_argument("--bench-dir", default=os.path.join(ROOT, "..", "shared", "bench"))
    a = ap.parse_args()
    bench = os.path.abspath(a.bench_dir)
    for tool, pkg in (("sipp", "sip-tester"), ("sox", "sox"), ("sipsak", "sipsak")):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit(f"{tool} missing: apt-get install {pkg}")
    work = tempfile.mkdtemp(prefix="switchback-memory-")
    env = dict(os.environ, BENCH_DIR=bench)
    started = subprocess.run([os.path.join(HERE, "restart.sh")], capture_output=True, text=True, env=env)
    if started.returncode != 0:
        sys.exit(f"restart.sh failed: {started.stderr[-500:]}")
    pid = int(started.stdout.split()[-1])
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # the offer's address (7000): bound, never read
    sink.bind(("127.0.0.1", 7000))
    hold_scen, sig_scen = scenario(bench, "uac_hold.xml", work), scenario(bench, "uac_sig.xml", work)
    try:
        print(f"server pid {pid}, work dir {work}")
        sipp(work, sig_scen, "hold", 50, 200, 100)  # warm-up: first calls' one-time costs
        settle(a.linger)
        # 1. held calls
        ramp = max(25, min(100, a.held // 10))
        hold_ms = (a.held // ramp + a.plateau + 2) * 1000
        before = rss_kb(pid)
        p = sipp(work, hold_scen, "hold", ramp, a.held, a.held, ("-d", str(hold_ms)), wait=False)
        time.sleep(a.held / ramp + 2 + a.plateau / 2)
        held, plateau = active_calls(), rss_kb(pid)
        p.wait()
        settle(a.linger)
        after_hold = rss_kb(pid)
        ok, failed = counts(work, hold_scen)
        per_call = (plateau - before) / held if held > 0 else float("nan")
        print(f"held calls      {held} active at the plateau ({ok} ok / {failed} failed)")
        print(f"RSS             before {before} KB, plateau {plateau} KB, after {after_hold} KB")
        print(f"RSS per held call  {per_call:.1f} KB")
        # 2. completed calls, batch after batch
        rss = [rss_kb(pid)]
        done_ok = 0
        for b in range(a.batches):
            for f in os.listdir(work):
                if f.startswith("uac_sig_") and f.endswith(".csv"):
                    os.remove(os.path.join(work, f))
            sipp(work, sig_scen, "hold", a.rate, a.calls, a.rate * 5)
            settle(a.linger)
            rss.append(rss_kb(pid))
            ok, failed = counts(work, sig_scen)
            done_ok += ok
            print(f"batch {b + 1}         {ok} ok / {failed} failed; RSS before {rss[-2]} KB, after {rss[-1]} KB "
                  f"({rss[-1] - rss[-2]:+d} KB)")
        if a.batches >= 2:
            growth = (rss[-1] - rss[1]) * 1024.0 / (a.calls * (a.batches - 1))
            print(f"growth per completed call  {growth:.1f} bytes (after batch 1 to after batch {a.batches}, "
                  f"{a.calls * (a.batches - 1)} calls); whole run {(rss[-1] - rss[0]) * 1024.0 / (a.calls * a.batches):.1f} bytes")
    finally:
        sink.close()
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)


if __name__ == "__main__":
    main()
