#!/usr/bin/env python3
"""The `bridge` shape for the shared harness (../shared/bench, read-only to us): one bounded
run of bridged calls, judged by the harness's own pass line.

    caller sipp (harness scenarios/uac_hold.xml, :5061, RTP from per-call ports)
        --INVITE sip:bridge@DUT--> Switchback --INVITE (trunk pstn)--> trunk UAS sipp (:5064)
    caller RTP  --> DUT --> UAS SDP address 127.0.0.1:7100 = rtpsink B   (A->B relayed)
    UAS RTP     --> DUT --> caller SDP address 127.0.0.1:7000 = rtpsink A (B->A relayed)

Everything of the load (both sipps, both sinks, two samplers, the probe) runs on core 0, the
DUT on the core(s) it was started on (`SWITCHBACK_SHAPE=bridge Benchmarks/harness/restart.sh`:
the bridge's caller is let in as the funded payer `bench`). The run is the
harness's `hold --conc C` shape (same ramp, plateau, sipp options and caller scenario);
the harness's lib/sampler.py samples the DUT, and its lib/summarize.py gives the verdict
on the caller's side (failed calls, retransmissions, INVITE->200 p95, B->A loss and gaps,
DUT CPU over the plateau, validity). This script adds the other direction (rtpsink B:
A->B loss, gaps, streams) to the same pass line, and the CPU per relayed packet:

    cpu_us_per_relayed_packet = DUT CPU over the plateau / packets relayed (both sinks) in it

A second sampler watches the trunk UAS sipp and sink B so that their CPU is charged to the
load generator, not to "unattributed" time (the harness's disturbance check).

    Benchmarks/harness/bridge.py --target 127.0.0.1:5072 --service bridge --conc 300 [--plateau 20]
        [--rate R] [--dut-pid PID] [--tag NAME] [--bench-dir ../shared/bench] [--results DIR]

Prints the harness's RESULT line (shape tag bridge_...) followed by the relay figures.
Exit: 0 pass, 1 fail, 2 usage, 3 environment. Every process started here is stopped by PID.
"""
import argparse
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))

SYSCALLS = ("recvmsg", "recvmmsg", "sendmsg", "sendmmsg", "sendto", "epoll_wait", "timerfd_settime", "write")

UAS_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<!-- bridge shape, the trunk's far end: answers at once with @CODEC@ at 127.0.0.1:@SINK@
     (rtpsink B), streams the harness's caller audio back (looped) until the DUT's BYE. -->
<scenario name="bridge shape, trunk UAS">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 100 Trying
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]T[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=trunk 1 1 IN IP4 127.0.0.1
      s=trunk
      c=IN IP4 127.0.0.1
      t=0 0
      m=audio @SINK@ RTP/AVP @PT@ 101
      a=rtpmap:@PT@ @CODEC@/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
      a=ptime:20
      a=sendrecv

    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <nop>
    <action>
      <exec rtp_stream="@AUDIO@,-1,@PT@"/>
    </action>
  </nop>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

    ]]>
  </send>
</scenario>
"""


def die(msg, code=2):
    print(f"bridge.py: {msg}", file=sys.stderr)
    sys.exit(code)


def log(msg):
    print(f"[bridge {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def stop(proc, sig=signal.SIGTERM, wait=3.0):
    """Stops one process we started, by its PID."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sysbusy():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7]
    return busy, busy + v[3] + v[4]


def dut_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fl = f.read().rsplit(")", 1)[1].split()
        return int(fl[11]) + int(fl[12])
    except OSError:
        return 0


def quiet_wait(dut, limit):
    """As bench.sh: wait (bounded) for 3 quiet seconds; returns the last busy % of one core."""
    ncpu, quiet, waited, pre = os.cpu_count() or 1, 0, 0, 999
    while True:
        b0, t0 = sysbusy(); d0 = dut_ticks(dut); time.sleep(1); waited += 1
        b1, t1 = sysbusy(); d1 = dut_ticks(dut)
        pre = (b1 - b0) * 100 * ncpu // max(t1 - t0, 1)
        quiet = quiet + 1 if pre < 15 and d1 - d0 <= 5 else 0
        if quiet >= 3:
            return pre
        if waited >= limit:
            log(f"box not quiet after {waited}s (busy {pre}% of 1 core) - running anyway, recorded")
            return pre


def sink_summary(path):
    s = {}
    try:
        for line in open(path):
            if line.startswith("SUMMARY"):
                for kv in line.split()[1:]:
                    k, v = kv.split("=")
                    s[k] = float(v.rstrip("%"))
    except OSError:
        pass
    return s


def sink_pps(csv_path, start_wall, a, b):
    """Per-second packets of one sink for the seconds that end inside [a, b] (wall clock)."""
    out = []
    try:
        with open(csv_path) as f:
            f.readline()
            for line in f:
                v = line.split(",")
                t = start_wall + float(v[0])
                if a <= t <= b:
                    out.append(int(v[1]))
    except OSError:
        pass
    return out


def read_csv(path):
    rows, cols = [], []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                continue
            if not cols:
                cols = line.strip().split(",")
                continue
            v = line.strip().split(",")
            if len(v) == len(cols):
                rows.append(dict(zip(cols, v)))
    return cols, rows


def charge_uas_to_load(out):
    """Moves the trunk UAS sipp's, sink B's and the second sampler's CPU out of the
    unattributed column of resources.csv into the load generator's (sipp_cpu, sink_cpu)."""
    path, upath = os.path.join(out, "resources.csv"), os.path.join(out, "resources_uas.csv")
    if not os.path.exists(upath):
        return
    _, urows = read_csv(upath)
    lines = open(path).read().splitlines()
    cols = next(line for line in lines if not line.startswith("#")).split(",")
    fixed = []
    for line in lines:
        v = line.split(",")
        if line.startswith("#") or v == cols or len(v) != len(cols):
            fixed.append(line)
            continue
        row = dict(zip(cols, v))
        wall = float(row["wall"])
        near = min(urows, key=lambda r: abs(float(r["wall"]) - wall), default=None)
        if near is not None and abs(float(near["wall"]) - wall) <= 0.6:
            uas, sink, me = float(near["dut_cpu"]), float(near["sink_cpu"]), float(near["sampler_cpu"])
            row["sipp_cpu"] = f"{float(row['sipp_cpu']) + uas + me:.1f}"
            row["sink_cpu"] = f"{float(row['sink_cpu']) + sink:.1f}"
            for k in ("other", "other_ticks"):
                row[k] = f"{float(row[k]) - uas - sink - me:.1f}"
        fixed.append(",".join(row[c] for c in cols))
    os.replace(path, path + ".raw")
    with open(path, "w") as f:
        f.write("\n".join(fixed) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", required=True)
    ap.add_argument("--service", default="bridge")
    ap.add_argument("--conc", type=int, required=True, help="bridged calls held together over the plateau")
    ap.add_argument("--plateau", type=int, default=20)
    ap.add_argument("--rate", type=int, help="ramp rate (default as bench.sh: max(25, min(100, C/10)))")
    ap.add_argument("--dut-pid", type=int)
    ap.add_argument("--tag")
    ap.add_argument("--codec", choices=["pcma", "pcmu"], default="pcma")
    ap.add_argument("--bench-dir", default=os.path.join(ROOT, "..", "shared", "bench"))
    ap.add_argument("--results", default="/tmp/switchback-bridge-results")
    ap.add_argument("--uas-port", type=int, default=5064, help="trunk UAS SIP port (restart.sh's trunk pstn)")
    ap.add_argument("--quiet-wait", type=int, default=60)
    ap.add_argument("--syscalls", action="store_true",
                    help="count the DUT's syscalls over the plateau with perf tracepoints: per relayed packet")
    a = ap.parse_args()

    m = re.match(r"^(127\.\d+\.\d+\.\d+):(\d+)$", a.target)
    if not m:
        die("--target must be 127.x.y.z:PORT (loopback only)")
    if not 1 <= a.conc <= 5000 or not 5 <= a.plateau <= 300:
        die("--conc 1..5000, --plateau 5..300")
    bench = os.path.abspath(a.bench_dir)
    for f in ("lib/sampler.py", "lib/summarize.py", "tools/rtpsink.c", "tools/cpuprobe.c", "scenarios/uac_hold.xml"):
        if not os.path.exists(os.path.join(bench, f)):
            die(f"harness file {f} not found under {bench} (--bench-dir)", 3)
    for tool, pkg in (("sipp", "sip-tester"), ("gcc", "gcc"), ("taskset", "util-linux"), ("ss", "iproute2")):
        if not shutil.which(tool):
            die(f"{tool} missing: apt-get install {pkg}", 3)
    dut = a.dut_pid
    if dut is None:
        ss = subprocess.run(["ss", "-Hulnp", f"sport = :{m.group(2)}"], capture_output=True, text=True).stdout
        pm = re.search(r"pid=(\d+)", ss)
        if not pm:
            die(f"no process bound to UDP {m.group(2)}; start the DUT (restart.sh) or pass --dut-pid", 3)
        dut = int(pm.group(1))
    if not alive(dut):
        die(f"DUT pid {dut} not alive", 3)
    aff = subprocess.run(["taskset", "-pc", str(dut)], capture_output=True, text=True).stdout.split(": ")[-1].strip()
    dut_cmd = open(f"/proc/{dut}/cmdline").read().replace("\0", " ")[:200]

    rate = a.rate or max(25, min(100, (a.conc + 9) // 10))
    secs = (a.conc + rate - 1) // rate
    hold_ms = (secs + a.plateau) * 1000
    hold_s = hold_ms // 1000
    sipp_timeout = secs + hold_s + 40
    tag = a.tag or f"bridge_{a.conc}_{time.strftime('%Y%m%d-%H%M%S')}"
    out = os.path.join(a.results, tag)
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(os.path.join(out, "uas"))
    tools = os.path.join(a.results, ".tools")
    os.makedirs(tools, exist_ok=True)
    for t in ("rtpsink", "cpuprobe"):
        exe, src = os.path.join(tools, t), os.path.join(bench, "tools", t + ".c")
        if not os.path.exists(exe) or os.path.getmtime(src) > os.path.getmtime(exe):
            subprocess.run(["gcc", "-O2", "-Wall", "-o", exe, src], check=True)
    pt, cname, ext = (8, "PCMA", "alaw") if a.codec == "pcma" else (0, "PCMU", "ulaw")
    audio = os.path.join(bench, "sounds", f"caller-10s.{ext}")
    sipp_port, mp, sink_a = 5061, 6000, 7000
    uas_mp, sink_b = 6100, 7100
    for p in (sipp_port, mp, sink_a, a.uas_port, uas_mp, sink_b):
        if subprocess.run(["ss", "-Huln", f"sport = :{p}"], capture_output=True, text=True).stdout.strip():
            die(f"local port {p} busy - another load generator running?", 3)

    pre_busy = quiet_wait(dut, a.quiet_wait)
    probe = os.path.join(tools, "cpuprobe")

    def probe_once(core):
        r = subprocess.run(["taskset", "-c", str(core), probe, "once"], capture_output=True, text=True).stdout
        return r.strip().split("=")[-1] if "=" in r else ""
    p0, p1 = probe_once(0), probe_once(1)
    hist = os.path.join(a.results, ".cpuprobe_hist")
    with open(hist, "a") as f:
        for v in (p0, p1):
            if v.isdigit():
                f.write(v + "\n")
    vals = sorted(int(x) for x in open(hist).read().split()[-200:] if x.isdigit())
    probe_ref = vals[max(1, int(len(vals) * 0.2)) - 1] if vals else 0

    scen = os.path.join(out, "uac_hold.xml")
    with open(os.path.join(bench, "scenarios", "uac_hold.xml")) as f:
        text = f.read()
    with open(scen, "w") as f:
        f.write(text.replace("@CALLER_AUDIO@", audio).replace("@PT@", str(pt)).replace("@CODEC@", cname)
                .replace("@DTMF_PCAP@", "/usr/share/sip-tester/dtmf_2833_1.pcap"))
    uas_scen = os.path.join(out, "uas", "uas_bridge.xml")
    with open(uas_scen, "w") as f:
        f.write(UAS_SCENARIO.replace("@AUDIO@", audio).replace("@PT@", str(pt)).replace("@CODEC@", cname)
                .replace("@SINK@", str(sink_b)))

    procs = []

    def start(args, cwd=None, stdout=None):
        p = subprocess.Popen(["taskset", "-c", "0", *args], cwd=cwd, stdout=stdout or subprocess.DEVNULL,
                             stderr=subprocess.STDOUT)
        procs.append(p)
        return p

    def cleanup(*_):
        for p in reversed(procs):
            stop(p)
    signal.signal(signal.SIGTERM, lambda *_: (cleanup(), sys.exit(130)))
    try:
        sink_secs = sipp_timeout + 20
        sinks = {}
        for name, port in (("rtpsink", sink_a), ("rtpsink_uas", sink_b)):
            outf = open(os.path.join(out, name + ".out"), "w")
            p = start([os.path.join(tools, "rtpsink"), "127.0.0.1", str(port), str(sink_secs),
                       os.path.join(out, name + ".csv")], stdout=outf)
            for _ in range(30):
                if "START" in open(os.path.join(out, name + ".out")).read():
                    break
                time.sleep(0.1)
            sinks[name] = (p, time.time())
        uas = start(["sipp", "-sf", uas_scen, "-i", "127.0.0.1", "-p", str(a.uas_port), "-mi", "127.0.0.1",
                     "-mp", str(uas_mp), "-m", str(a.conc), "-timeout", f"{sipp_timeout + 10}s", "-nostdin",
                     "-trace_stat", "-stf", "uas_stats.csv", "-fd", "1", "-trace_err", "-max_socket", "16000"],
                    cwd=os.path.join(out, "uas"))
        time.sleep(0.5)
        if uas.poll() is not None:
            die("trunk UAS sipp exited at once (see uas/)", 3)
        open(os.path.join(out, "sipp.pid"), "w").close()
        open(os.path.join(out, "none.pid"), "w").close()
        start([sys.executable, os.path.join(bench, "lib", "sampler.py"), "--dut-pid", str(dut),
               "--sipp-pidfile", os.path.join(out, "sipp.pid"), "--sink-pid", str(sinks["rtpsink"][0].pid),
               "--out", os.path.join(out, "resources.csv"), "--max-seconds", str(sink_secs + 10)])
        start([sys.executable, os.path.join(bench, "lib", "sampler.py"), "--dut-pid", str(uas.pid),
               "--sipp-pidfile", os.path.join(out, "none.pid"), "--sink-pid", str(sinks["rtpsink_uas"][0].pid),
               "--out", os.path.join(out, "resources_uas.csv"), "--max-seconds", str(sink_secs + 10)])
        probe_loop = start([probe, "loop", str(sink_secs + 10)], stdout=open(os.path.join(out, "cpuprobe.out"), "w"))
        time.sleep(2.2)
        log(f"{tag}: bridge service={a.service} target={a.target} conc={a.conc} ramp={rate}/s plateau={a.plateau}s "
            f"dut={dut} (aff {aff}) pre_busy={pre_busy}%")
        t_start = time.time()
        caller = start(["sipp", a.target, "-sf", scen, "-s", a.service, "-i", "127.0.0.1", "-p", str(sipp_port),
                        "-mi", "127.0.0.1", "-mp", str(mp), "-d", str(hold_ms), "-r", str(rate), "-m", str(a.conc),
                        "-l", str(a.conc), "-timeout", f"{sipp_timeout}s", "-nostdin", "-trace_stat",
                        "-stf", "sipp_stats.csv", "-fd", "1", "-trace_rtt", "-rtt_freq", "1", "-trace_screen",
                        "-screen_file", "sipp_screen.log", "-trace_err", "-error_file", "sipp_errors.log",
                        "-max_log_size", "5000000"], cwd=out, stdout=open(os.path.join(out, "sipp.stdout"), "w"))
        with open(os.path.join(out, "sipp.pid"), "w") as f:
            f.write(str(caller.pid))
        # syscalls over the middle of the plateau (exact counts, unlike CPU times on a busy box)
        sc_from, sc_secs = secs + 2.5, max(1, a.plateau - 5)
        if a.syscalls:
            events = ",".join(f"syscalls:sys_enter_{n}" for n in SYSCALLS)
            start(["sh", "-c", f"sleep {sc_from}; exec perf stat -x, -e {events} -p {dut} -- sleep {sc_secs} "
                   f"2> {os.path.join(out, 'perf_syscalls.csv')}"])
        try:
            rc = caller.wait(sipp_timeout + 15)
        except subprocess.TimeoutExpired:
            log("watchdog: caller sipp past its timeout")
            stop(caller, signal.SIGUSR1, 5)
            rc = caller.returncode if caller.returncode is not None else -1
        t_end = time.time()
        time.sleep(2)
        stop(uas)
        for name in sinks:
            stop(sinks[name][0], signal.SIGINT)
        stop(probe_loop)
        time.sleep(1.2)
    finally:
        cleanup()
    p1_post = probe_once(1)

    with open(os.path.join(out, "params.env"), "w") as f:
        f.write("\n".join(f"{k}={v}" for k, v in dict(
            tag=tag, shape="hold", target=a.target, service=a.service, codec=a.codec, rate=rate, seconds=secs,
            ncalls=a.conc, limit=a.conc, hold_ms=hold_ms, conc=a.conc, ramp_s=secs, plateau_s=hold_s - secs,
            dut_pid=dut, dut_affinity=aff, dut_cmd=dut_cmd, sipp_rc=rc, pre_busy=pre_busy, probe0_pre_us=p0,
            probe1_pre_us=p1, probe1_post_us=p1_post, probe_ref_us=probe_ref, t_sipp_start=f"{t_start:.3f}",
            t_sipp_end=f"{t_end:.3f}", sipp_port=sipp_port, media_port=mp, sink_port=sink_a).items()) + "\n")
    charge_uas_to_load(out)
    r = subprocess.run([sys.executable, os.path.join(bench, "lib", "summarize.py"), out], capture_output=True, text=True)
    if r.returncode != 0:
        die(f"summarize failed (raw files in {out}): {r.stderr[-500:]}", 3)
    R = json.load(open(os.path.join(out, "summary.json")))

    # The other direction: caller -> DUT -> trunk UAS (rtpsink B), same pass line.
    B = sink_summary(os.path.join(out, "rtpsink_uas.out"))
    ok = int(R.get("ok", 0))
    b_loss = B.get("est_loss", 100.0)
    b_gaps = int(B.get(">100ms", 0))
    b_streams = int(B.get("streams", 0))
    b_cover = round(B.get("media_s", 0.0) / (ok * hold_s), 3) if ok else 0.0
    reasons = [] if R["fail_reasons"] == "-" else [R["fail_reasons"]]
    if not b_loss < 0.1:
        reasons.append(f"A->B rtp loss {b_loss}%")
    if b_gaps:
        reasons.append(f"{b_gaps} A->B gaps>100ms")
    if ok and max(0, ok - b_streams) > 0.001 * ok:
        reasons.append(f"{ok - b_streams} calls without A->B media")
    if b_cover < 0.95:
        reasons.append(f"A->B media coverage {b_cover}")
    if int(B.get("sock_drops", 0)):
        R["valid"] = "no"
        R["invalid_reasons"] = (R["invalid_reasons"] + f"; rtpsink B dropped {int(B['sock_drops'])}").lstrip("-; ")
    passed = not reasons and R["valid"] == "yes"

    # CPU per relayed packet over the plateau (the harness's cpu_window)
    wa, wb = t_start + secs + 1.5, t_start + hold_s - 1.0
    pps = [x + y for x, y in zip(sink_pps(os.path.join(out, "rtpsink.csv"), sinks["rtpsink"][1], wa, wb),
                                 sink_pps(os.path.join(out, "rtpsink_uas.csv"), sinks["rtpsink_uas"][1], wa, wb))]
    relay_pps = statistics.mean(pps) if pps else 0.0
    cpu = R.get("cpu_avg")
    us_per_pkt = cpu / 100.0 * 1e6 / relay_pps if relay_pps and cpu is not None and not math.isnan(cpu) else float("nan")
    loss = max(R["rtp_loss_pct"], b_loss)
    gaps = int(R["gaps100"]) + b_gaps
    f3 = lambda x, nd=3: "nan" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{nd}f}"
    line = (f"{tag} cps={f3(R['achieved_cps'], 1) if R['achieved_cps'] is not None else 'nan'} "
            f"failed={f3(R['failed_pct'])}% retrans={f3(R['retrans_pct'])}% p95_setup_ms={f3(R['p95_setup_ms'], 1)} "
            f"rtp_loss={f3(loss)}% gaps100={gaps} cpu_avg={f3(cpu, 1)}% rss_mb={R['rss_mb']:.1f} "
            f"pass={'yes' if passed else 'no'}")
    extra = (f"  relay: conc={R['peak_concurrent']} relayed_pps={relay_pps:.0f} cpu_us_per_relayed_packet={f3(us_per_pkt, 2)} "
             f"loss_b2a={f3(R['rtp_loss_pct'])}% loss_a2b={f3(b_loss)}% gaps100_b2a={R['gaps100']} gaps100_a2b={b_gaps} "
             f"max_gap_ms_a2b={B.get('max_gap_ms', 0.0)} coverage_b2a={R.get('media_coverage')} coverage_a2b={b_cover} "
             f"rss_per_call_kb={R.get('rss_per_call_kb')} valid={R['valid']} core0={R['core0_busy_avg']}%")
    if a.syscalls:
        pa, pb = t_start + sc_from + 1, t_start + sc_from + sc_secs
        pk = sum(sink_pps(os.path.join(out, "rtpsink.csv"), sinks["rtpsink"][1], pa, pb)) + \
            sum(sink_pps(os.path.join(out, "rtpsink_uas.csv"), sinks["rtpsink_uas"][1], pa, pb))
        counts = {}
        try:
            for row in open(os.path.join(out, "perf_syscalls.csv")):
                v = row.strip().split(",")
                if len(v) > 2 and v[2].startswith("syscalls:sys_enter_") and v[0].replace(".", "").isdigit():
                    counts[v[2].replace("syscalls:sys_enter_", "")] = int(float(v[0]))
        except OSError:
            pass
        extra += f"\n  syscalls over {sc_secs}s of the plateau, {pk} relayed packets: " + " ".join(
            f"{n}={c} ({c / pk:.3f}/pkt)" if pk else f"{n}={c}" for n, c in counts.items())
    with open(os.path.join(out, "summary_bridge.txt"), "w") as f:
        f.write(line + "\n" + extra + "\n" + f"fail_reasons={'; '.join(reasons) or '-'}\n"
                f"invalid_reasons={R['invalid_reasons']}\n")
    print(line)
    print(extra)
    if reasons or R["valid"] != "yes":
        print(f"  fail: {'; '.join(reasons) or '-'}  invalid: {R['invalid_reasons']}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
