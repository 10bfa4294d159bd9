#!/usr/bin/env python3
"""Instruction counts of the server under a fixed load (valgrind callgrind), issue 19.

Instruction counts repeat on a busy, shared machine; CPU times do not. This starts a
release build of `switchback serve` under `valgrind --tool=callgrind --instr-atstart=no`,
waits until it answers SIP, switches collection on (`callgrind_control -i on`), drives a
fixed load with sipp, switches collection off before the shutdown, and prints:

  ivr     N calls of the shared harness's IVR shape (../shared/bench/scenarios/uac_ivr.xml:
          PCMA offer, the caller streams audio, the server plays a ~3 s prompt, the caller
          sends RFC 4733 digit 1 at 3.5 s, the server hangs up): instructions per IVR call.
  bridge  M bridged calls (Benchmarks/load: caller sipp -> server -> trunk sipp UAS, PCMU
          both ways for --bridge-hold-ms): instructions per relayed RTP packet, the packets
          counted by dumpcap on lo (server's RTP ports -> the two sipps' media ports).
          Everything the server did in the window (SIP, set-up, RTCP, timers) is charged
          to the relayed packets, so this is an upper bound of the per-packet cost.

plus the total instructions (Ir) and the top functions by inclusive Ir (callgrind_annotate,
names demangled with `swift demangle --simplified`).

  Benchmarks/callgrind/run.py --build                    # build .build-release, then both shapes
  Benchmarks/callgrind/run.py --shape ivr --ivr-calls 20 --ivr-rate 1
  Benchmarks/callgrind/run.py --shape bridge --bridge-calls 5 --bridge-hold-ms 10000
  Benchmarks/callgrind/run.py --shape bridge --trunk-dtmf rfc4733   # the trunk's legs skip the tone detector

valgrind runs the server ~50x slower: keep the load small and slow. Needs root (sipp plays
pcaps through a raw socket; dumpcap captures lo), valgrind, sip-tester, sox, tshark, sipsak.
Every process it starts is stopped by its PID; everything is bounded in time.
"""
import argparse, glob, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
LOAD = os.path.join(ROOT, "Benchmarks", "load")
BENCH = os.environ.get("SHARED_BENCH", os.path.abspath(os.path.join(ROOT, "..", "shared", "bench")))
sys.path.insert(0, LOAD)
from loadstats import sipp_counts  # noqa: E402
from run_bridge import make_pcap  # noqa: E402
import payer  # noqa: E402

SERVER_SIP, HTTP = 5173, 18173
RTP_PORTS = (51000, 51999)
IVR_SIPP, IVR_MEDIA = 5174, 46100          # the server sends the prompt to IVR_MEDIA + 1000
UAC_SIP, UAS_SIP = 5175, 5176
UAC_MEDIA, UAS_MEDIA = 60100, 62100


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def stop(proc, sig=signal.SIGTERM, wait=20):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Sink(threading.Thread):
    """Receives (and counts) the prompt the server sends to the IVR caller's SDP port,
    so the server's sends meet a socket, as with the harness's rtpsink."""
    def __init__(self, port):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", port))
        self.sock.settimeout(0.5)
        self.packets, self.running = 0, True

    def run(self):
        while self.running:
            try:
                self.sock.recv(2048)
                self.packets += 1
            except socket.timeout:
                pass
        self.sock.close()


def trunk_dtmf_yaml(mode):
    """The trunk's `dtmf:` (--trunk-dtmf), with `trusted-sources: [127.0.0.1]` so that the
    callers (sipp on loopback) arrive from the trunk too and their A legs take its mode;
    nothing without the option (the config as before it existed)."""
    return "" if mode is None else f"    trusted-sources: [127.0.0.1]\n    dtmf: {mode}\n"


def write_config(work, shape, trunk_dtmf=None):
    sounds = os.path.join(work, "sounds")
    os.makedirs(os.path.join(sounds, "en"), exist_ok=True)
    subprocess.run(["sox", "-t", "raw", "-e", "a-law", "-r", "8000", "-c", "1",
                    os.path.join(BENCH, "asterisk", "sounds", "prompt.alaw"), os.path.join(sounds, "en", "prompt.wav")],
                   check=True)
    shutil.copy(os.path.join(BENCH, "switchback", "ivr.yaml"), work)
    config = os.path.join(work, "config.yaml")
    with open(config, "w") as f:
        f.write(f"""sip:
  listen: [udp:127.0.0.1:{SERVER_SIP}]
media: {{ rtp-ports: {RTP_PORTS[0]}-{RTP_PORTS[1]}, bind: 127.0.0.1, symmetric-rtp: off }}
sounds: {sounds}
trunks:
  - name: pstn
    uri: sip:127.0.0.1:{UAS_SIP}
    destinations: ["*"]
""" + trunk_dtmf_yaml(trunk_dtmf) + f"""campaigns:
  bench-ivr: {{ script: {work}/ivr.yaml }}
  bridge: {{ script: {LOAD}/bridge.yaml }}
access-numbers:
  "ivr": {{ campaign: bench-ivr }}
  "200": {{ campaign: bridge }}
""" + (payer.CONFIG if shape == "bridge" else ""))
    return config


def start_server(a, work, config):
    out = os.path.join(work, "callgrind.out")
    # valgrind 3.19 (bookworm) cannot read the DWARF 5 of Swift 6.3 ("unhandled dwarf2 abbrev
    # form code 0x25 ... I can't recover"): run a copy without debug info; the symbol table
    # keeps the function names, only file:line is lost.
    binary = os.path.join(work, "switchback")
    subprocess.run(["objcopy", "--strip-debug", a.binary, binary], check=True)
    shim = os.path.join(work, "sigsuspend_shim.so")
    subprocess.run(["gcc", "-O2", "-shared", "-fPIC", "-o", shim, os.path.join(HERE, "sigsuspend_shim.c")], check=True)
    log = open(os.path.join(work, "server.log"), "w")
    cmd = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
           binary, "serve", "--config", config, "--http-listen", f"127.0.0.1:{HTTP}",
           "--data-dir", os.path.join(work, "data"), "--log-format", "json", "--log-level", a.log_level]
    server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=work, env=dict(os.environ, LD_PRELOAD=shim))
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited: {open(os.path.join(work, 'server.log')).read()[-2000:]}")
        if run(["sipsak", "-s", f"sip:ping@127.0.0.1:{SERVER_SIP}"]).returncode == 0:
            time.sleep(2)  # let the start-up's stragglers finish before collection starts
            return server, cmd, out
        time.sleep(2)
    stop(server, signal.SIGKILL)
    sys.exit("server did not answer SIP OPTIONS within 300 s under valgrind")


def collect(server, on):
    r = run(["callgrind_control", "-i", "on" if on else "off", str(server.pid)])
    if r.returncode != 0:
        sys.exit(f"callgrind_control failed: {r.stdout}{r.stderr}")


def ivr_load(a, work, calls):
    os.makedirs(work, exist_ok=True)
    scenario = os.path.join(work, "uac_ivr.xml")
    with open(os.path.join(BENCH, "scenarios", "uac_ivr.xml")) as f:
        text = f.read()
    text = (text.replace("@CALLER_AUDIO@", os.path.join(BENCH, "sounds", "caller-10s.alaw")).replace("@PT@", "8")
            .replace("@CODEC@", "PCMA").replace("@DTMF_PCAP@", "/usr/share/sip-tester/dtmf_2833_1.pcap"))
    with open(scenario, "w") as f:
        f.write(text)
    sink = Sink(IVR_MEDIA + 1000)
    sink.start()
    bound = int(calls / a.ivr_rate + 120)
    cmd = ["sipp", f"127.0.0.1:{SERVER_SIP}", "-sf", scenario, "-s", "ivr", "-i", "127.0.0.1", "-p", str(IVR_SIPP),
           "-mi", "127.0.0.1", "-mp", str(IVR_MEDIA), "-r", str(a.ivr_rate), "-m", str(calls),
           "-l", str(max(4, int(a.ivr_rate * 12))), "-trace_stat", "-fd", "1", "-nostdin",
           "-timeout", f"{bound}s", "-timeout_error"]
    r = subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "ivr.err"), "w"))
    time.sleep(1)
    sink.running = False
    sink.join()
    ok, failed = sipp_counts(glob.glob(os.path.join(work, "uac_ivr_*_.csv")))
    return {"calls": calls, "ok": ok, "failed": failed, "prompt_packets": sink.packets, "sipp_rc": r.returncode,
            "sipp": " ".join(cmd)}


def bridge_load(a, work, calls):
    os.makedirs(work, exist_ok=True)
    talk = a.bridge_hold_ms / 1000.0 + 3
    make_pcap(work, "uac", 1000, talk)
    make_pcap(work, "uas", 500, talk)
    pcap = os.path.join(work, "relay.pcap")
    bound = int(calls / a.bridge_rate + a.bridge_hold_ms / 1000 + 120)
    capture = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-s", "64", "-B", "64", "-P",
                                "-f", f"udp src portrange {RTP_PORTS[0]}-{RTP_PORTS[1]} and "
                                      f"(udp dst port {UAC_MEDIA} or udp dst port {UAS_MEDIA})",
                                "-a", f"duration:{bound + 30}", "-w", pcap],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "dumpcap.err"), "w"))
    time.sleep(2)
    uas = subprocess.Popen(["sipp", "-sf", "bridge_uas.xml", "-i", "127.0.0.1", "-p", str(UAS_SIP), "-mp", str(UAS_MEDIA),
                            "-m", str(calls), "-trace_stat", "-fd", "1", "-nostdin", "-timeout", f"{bound + 10}s"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "uas.err"), "w"))
    time.sleep(0.5)
    cmd = ["sipp", f"127.0.0.1:{SERVER_SIP}", "-sf", "bridge_uac.xml", "-s", "200", "-i", "127.0.0.1",
           "-p", str(UAC_SIP), "-mp", str(UAC_MEDIA), "-d", str(a.bridge_hold_ms), "-r", str(a.bridge_rate),
           "-m", str(calls), "-l", str(calls), "-trace_stat", "-fd", "1", "-nostdin",
           "-timeout", f"{bound}s", "-timeout_error"]
    r = subprocess.run(cmd, cwd=work, stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "uac.err"), "w"))
    time.sleep(2)
    stop(uas, signal.SIGINT, 10)
    stop(capture, signal.SIGINT, 10)
    packets = int(run(["tshark", "-r", pcap, "-T", "fields", "-e", "frame.number"]).stdout.count("\n"))
    ok, failed = sipp_counts(glob.glob(os.path.join(work, "bridge_uac_*_.csv")))
    pstn_ok, pstn_failed = sipp_counts(glob.glob(os.path.join(work, "bridge_uas_*_.csv")))
    return {"calls": calls, "ok": ok, "failed": failed, "pstn_ok": pstn_ok, "pstn_failed": pstn_failed,
            "relayed": packets, "sipp_rc": r.returncode, "sipp": " ".join(cmd)}


LINE = re.compile(r"^\s*([\d,]+) +\(\s*[\d.]+%\) +(.*?):(\S.*?) \[(.*)\]\s*$")


def functions(out, inclusive):
    """[(Ir, mangled name, object)] of every function, biggest first, and the total Ir."""
    text = run(["callgrind_annotate", f"--inclusive={'yes' if inclusive else 'no'}", "--threshold=100", out]).stdout
    total = int(re.search(r"^([\d,]+) .*PROGRAM TOTALS", text, re.M).group(1).replace(",", ""))
    rows = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            rows.append((int(m.group(1).replace(",", "")), m.group(3), os.path.basename(m.group(4))))
    return total, rows


def demangle(names):
    out = run(["swift", "demangle", "--simplified"], input="\n".join(names)).stdout.splitlines()
    return out if len(out) == len(names) else list(names)


def module(name, obj):
    """Where a function's self cost belongs: the Swift module of a mangled name in the
    server's binary (NIOPosix, Media, SIPStack, ...), else the shared object (libc, the
    Swift runtime)."""
    if obj == "switchback":
        m = re.match(r"\$s(\d+)([A-Za-z_]\w*)", name)
        if m:
            return m.group(2)[:int(m.group(1))]
        if name.startswith("$ss") or name.startswith("$sS"):
            return "Swift (specialised in the binary)"
        return "switchback (other)"
    if obj.startswith("libc.so") and any(k in name for k in ("malloc", "free", "realloc", "calloc", "memalign")):
        return "libc malloc/free"
    return obj


def annotate(out, top, spine):
    total, inclusive = functions(out, True)
    _, exclusive = functions(out, False)
    body = [r for r in inclusive if r[0] < spine * total][:top]
    skipped = sum(1 for r in inclusive if r[0] >= spine * total)
    by_module = {}
    for ir, name, obj in exclusive:
        key = module(name, obj)
        by_module[key] = by_module.get(key, 0) + ir
    return {
        "total": total,
        "inclusive": list(zip([r[0] for r in body], demangle([r[1] for r in body]), [r[2] for r in body])),
        "spine": skipped,
        "self": list(zip([r[0] for r in exclusive[:top]], demangle([r[1] for r in exclusive[:top]]),
                         [r[2] for r in exclusive[:top]])),
        "modules": sorted(by_module.items(), key=lambda kv: -kv[1])[:top],
    }


def measure(a, shape):
    work = tempfile.mkdtemp(prefix=f"switchback-callgrind-{shape}-")
    config = write_config(work, shape, a.trunk_dtmf)
    if shape == "bridge":
        payer.fund(a.binary, os.path.join(work, "data"))
    server, cmd, out = start_server(a, work, config)
    load, calls = (ivr_load, a.ivr_calls) if shape == "ivr" else (bridge_load, a.bridge_calls)
    try:
        if a.warmup:
            # One-time costs (lazy tables, type metadata, SQLite statements, first sockets)
            # are not per call: run a few calls before collection starts.
            warm = load(a, os.path.join(work, "warmup"), a.warmup)
            if warm["ok"] != a.warmup:
                print(f"warning: warm-up: {warm['ok']} of {a.warmup} calls successful", file=sys.stderr)
        collect(server, True)
        result = load(a, os.path.join(work, "load"), calls)
        collect(server, False)
    finally:
        stop(server, signal.SIGTERM, 120)
    report = annotate(out, a.top, a.spine / 100.0)
    total = report["total"]
    print(f"== {shape}: {work}")
    print(f"server      {' '.join(cmd)}")
    print(f"load        {result['sipp']}")
    if a.trunk_dtmf is not None:
        print(f"trunk       pstn: dtmf {a.trunk_dtmf}, trusted-sources [127.0.0.1] (callers arrive from the trunk)")
    print(f"total Ir    {total:,}  (collection on from before the first measured call to after the last; "
          f"start-up, {a.warmup} warm-up calls and shutdown excluded)")
    if shape == "ivr":
        print(f"calls       {result['ok']} successful / {result['failed']} failed of {result['calls']}; "
              f"{result['prompt_packets']} prompt packets received by the caller's sink")
        print(f"Ir per IVR call            {total // max(1, result['ok']):,}")
    else:
        print(f"calls       {result['ok']} successful / {result['failed']} failed of {result['calls']} "
              f"(trunk side {result['pstn_ok']} / {result['pstn_failed']}); {result['relayed']} RTP packets relayed")
        print(f"Ir per relayed RTP packet  {total // max(1, result['relayed']):,}  (everything in the window charged to the packets)")
        print(f"Ir per bridged call        {total // max(1, result['ok']):,}")
    def show(title, rows):
        print(title)
        for ir, name, obj in rows:
            print(f"  {ir:>15,}  {100.0 * ir / total:5.1f} %  {name[:150]}  [{obj}]")
    show(f"top {len(report['inclusive'])} functions by inclusive Ir (below {a.spine:g} % of the total: "
         f"{report['spine']} event-loop spine frames above it left out):", report["inclusive"])
    show(f"top {len(report['self'])} functions by self Ir:", report["self"])
    print("self Ir by Swift module (server binary) or shared object:")
    for name, ir in report["modules"]:
        print(f"  {ir:>15,}  {100.0 * ir / total:5.1f} %  {name}")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", choices=["ivr", "bridge", "both"], default="both")
    ap.add_argument("--ivr-calls", type=int, default=20)
    ap.add_argument("--ivr-rate", type=float, default=1.0, help="IVR calls per second")
    ap.add_argument("--bridge-calls", type=int, default=5)
    ap.add_argument("--bridge-rate", type=float, default=1.0, help="bridged calls per second")
    ap.add_argument("--bridge-hold-ms", type=int, default=10000)
    ap.add_argument("--warmup", type=int, default=2, help="calls before collection starts (one-time costs excluded)")
    ap.add_argument("--log-level", default="info", help="the server's --log-level (default info, the product default)")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--spine", type=float, default=60,
                    help="leave out of the inclusive list functions above this %% of the total (the event loop's run/"
                         "select/readable frames, which contain everything)")
    ap.add_argument("--trunk-dtmf", choices=["auto", "rfc4733", "inband"], default=None,
                    help="give trunk pstn this `dtmf:` and trusted-sources [127.0.0.1], so the bridge's callers are "
                         "the trunk's calls too (default: neither key, as before)")
    ap.add_argument("--port-offset", type=int, default=0,
                    help="add this to every port (SIP, HTTP, RTP range, the sipps' and their media), e.g. 2000 while "
                         "another run holds the defaults; must keep all ports below 65536")
    ap.add_argument("--build", action="store_true", help="first: tools/release-build.sh --scratch-path .build-release (niced)")
    ap.add_argument("--binary", default=os.environ.get("SWITCHBACK_BINARY", os.path.join(ROOT, ".build-release/release/switchback")))
    a = ap.parse_args()
    if a.port_offset:
        # Another run on the same box (another worktree) holds the default ports.
        global SERVER_SIP, HTTP, RTP_PORTS, IVR_SIPP, IVR_MEDIA, UAC_SIP, UAS_SIP, UAC_MEDIA, UAS_MEDIA
        SERVER_SIP, HTTP, IVR_SIPP, IVR_MEDIA, UAC_SIP, UAS_SIP, UAC_MEDIA, UAS_MEDIA = (
            p + a.port_offset for p in (SERVER_SIP, HTTP, IVR_SIPP, IVR_MEDIA, UAC_SIP, UAS_SIP, UAC_MEDIA, UAS_MEDIA))
        RTP_PORTS = (RTP_PORTS[0] + a.port_offset, RTP_PORTS[1] + a.port_offset)
    a.binary = os.path.abspath(a.binary)
    for tool, package in (("valgrind", "valgrind"), ("gcc", "gcc"), ("objcopy", "binutils"), ("callgrind_control", "valgrind"), ("sipp", "sip-tester"),
                          ("sox", "sox"), ("dumpcap", "tshark"), ("tshark", "tshark"), ("sipsak", "sipsak")):
        if not shutil.which(tool):
            sys.exit(f"{tool} missing: apt-get install {package}")
    if a.build:
        subprocess.run(["nice", "-n", "10", "tools/release-build.sh", "--product", "switchback",
                        "--scratch-path", ".build-release"], cwd=ROOT, check=True)
    if not os.access(a.binary, os.X_OK):
        sys.exit(f"no server binary at {a.binary}: run with --build, or give --binary")
    for shape in (["ivr", "bridge"] if a.shape == "both" else [a.shape]):
        measure(a, shape)


if __name__ == "__main__":
    main()
