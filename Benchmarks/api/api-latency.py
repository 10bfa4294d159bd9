#!/usr/bin/env python3
"""Latency of `POST /api/v1/callbacks` on a release build, all on 127.0.0.1, bounded.

  swift build -c release --product switchback --scratch-path .build-release
  Benchmarks/api/api-latency.py --binary .build-release/release/switchback --rate 200 --seconds 30

Two phases, each against a fresh server and data directory (api.yaml.in):

1. Load: an open-loop Python client (standard library only; keep-alive HTTP/1.1
   connections, one per worker thread) posts `{"from": "5551234", "numbers": ["4930777"]}`
   as alice (HTTP Basic) at --rate requests/s for --seconds. Each request's latency is
   measured from the moment it was due (so a stalled server cannot hide its queue,
   "coordinated omission") and from the moment it was sent. The callbacks are queued
   with a 1 h delay: the queue worker places none of them while the POSTs are timed.
2. POST -> INVITE: with `delay: 0s`, --invites requests one after another, each
   answered by a sipp UAS playing the user's phone (trunk `users`): the time from
   sending the POST to sipp receiving the user's INVITE (sipp's message log timestamps).

Prints p50/p90/p99/max and the status counts; writes them as JSON with --json.
"""
import argparse, base64, glob, http.client, json, os, re, shutil, subprocess, sys, tempfile, threading, time
from datetime import datetime

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
SIPP_FIXTURES = os.path.join(ROOT, "Tests", "InteropTests", "Fixtures", "sipp")
SIP, USERS, HTTP = 5199, 5198, 8199
AUTH = "Basic " + base64.b64encode(b"alice:2468").decode()
BODY = json.dumps({"from": "5551234", "numbers": ["4930777"]}).encode()
DECK = "prefix,description,rate,connection fee,first increment,increment\n555,Callback leg,0.0600,0.0100,1,1\n" \
       "49,Germany,0.1200,0.0000,1,1\n"


def percentile(values, p):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def summary(values):
    return {"count": len(values), "p50": percentile(values, 50), "p90": percentile(values, 90),
            "p99": percentile(values, 99), "max": max(values) if values else float("nan")}


class Server:
    """A switchback serve with its own data directory; stopped (SIGTERM, then SIGKILL) on exit."""

    def __init__(self, binary, work, delay):
        self.binary, self.work = binary, work
        self.data = os.path.join(work, "data")
        config = open(os.path.join(HERE, "api.yaml.in")).read()
        for key, value in {"@SIP@": SIP, "@USERS@": USERS, "@ROOT@": ROOT, "@DELAY@": delay}.items():
            config = config.replace(key, str(value))
        self.config = os.path.join(work, "switchback.yaml")
        open(self.config, "w").write(config)
        deck = os.path.join(work, "card.csv")
        open(deck, "w").write(DECK)
        self.cli(["rates", "import", "card", deck, "--currency", "EUR", "--charge-a-leg"])
        self.cli(["accounts", "add", "alice", "--password", "2468", "--balance", "100000", "--plan", "card"])
        self.cli(["callers", "add", "alice", "5551234"])
        self.log = open(os.path.join(work, "server.log"), "w")
        self.process = subprocess.Popen([binary, "serve", "--config", self.config, "--data-dir", self.data,
                                         "--http-listen", f"127.0.0.1:{HTTP}", "--log-format", "json",
                                         "--log-level", "notice"], stdout=self.log, stderr=subprocess.STDOUT, cwd=work)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        sys.exit(f"the server did not answer /healthz within 30 s; see {self.log.name}")

    def cli(self, arguments):
        subprocess.run([self.binary] + arguments + ["--data-dir", self.data], check=True, stdout=subprocess.DEVNULL)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def post(connection):
    connection.request("POST", "/api/v1/callbacks", body=BODY,
                       headers={"Authorization": AUTH, "Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    return response.status


def load_phase(rate, seconds, workers):
    """Open loop: request i is due at start + i/rate; a worker takes the next due request."""
    total = int(rate * seconds)
    start = time.monotonic() + 0.5
    lock = threading.Lock()
    state = {"next": 0}
    from_due, from_sent, statuses, errors = [], [], {}, []

    def worker():
        connection = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
        while True:
            with lock:
                index = state["next"]
                state["next"] += 1
            if index >= total:
                return
            due = start + index / rate
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            sent = time.monotonic()
            try:
                status = post(connection)
            except (OSError, http.client.HTTPException) as error:
                errors.append(repr(error))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
                continue
            done = time.monotonic()
            with lock:
                from_due.append((done - due) * 1000)
                from_sent.append((done - sent) * 1000)
                statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - start
    return {"offered": total, "rate": rate, "seconds": seconds, "elapsed": round(elapsed, 2),
            "achieved_rate": round(len(from_due) / elapsed, 1), "statuses": statuses, "errors": len(errors),
            "latency_from_due_ms": summary(from_due), "latency_from_sent_ms": summary(from_sent)}


def sipp_invite_times(work):
    """Wall-clock times (epoch seconds) at which sipp received each call's first INVITE, in
    order (a retransmission, same Call-ID, is not a new call)."""
    times, seen = [], set()
    for path in glob.glob(os.path.join(work, "*_messages.log")):
        text = open(path, errors="replace").read()
        for block in text.split("----------------------------------------------- ")[1:]:
            lines = block.splitlines()
            if len(lines) > 3 and "message received" in lines[1]:
                request = next((line for line in lines[2:] if line.strip()), "")
                call_id = next((line for line in lines if line.lower().startswith("call-id:")), "")
                if request.startswith("INVITE ") and call_id not in seen:
                    seen.add(call_id)
                    times.append(datetime.strptime(lines[0].strip(), "%Y-%m-%d %H:%M:%S.%f").timestamp())
    return sorted(times)


def invite_phase(binary, base, count):
    """POST -> the user's INVITE at a sipp UAS, one request at a time."""
    work = os.path.join(base, "invite")
    os.makedirs(work)
    for name in ("callback-queue-user-short.xml",):
        shutil.copy(os.path.join(SIPP_FIXTURES, name), work)
    server = Server(binary, work, "0s")
    sipp = subprocess.Popen(["sipp", "-sf", "callback-queue-user-short.xml", "-i", "127.0.0.1", "-p", str(USERS),
                             "-mp", "32000", "-m", str(count), "-d", "200", "-timeout", "120s", "-nostdin",
                             "-trace_msg", "-trace_err", "-default_behaviors", "all,-abortunexp"],
                            cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    gaps, missing = [], 0
    try:
        connection = http.client.HTTPConnection("127.0.0.1", HTTP, timeout=10)
        for _ in range(count):
            before = len(sipp_invite_times(work))
            sent = time.time()
            connection.request("POST", "/api/v1/callbacks", body=BODY,
                               headers={"Authorization": AUTH, "Content-Type": "application/json"})
            response = connection.getresponse()
            created = json.loads(response.read() or b"{}")
            if response.status not in (200, 201):
                sys.exit(f"POST answered {response.status}: {created}")
            deadline = time.monotonic() + 10
            while len(sipp_invite_times(work)) <= before and time.monotonic() < deadline:
                time.sleep(0.01)
            invites = sipp_invite_times(work)
            if len(invites) > before:
                gaps.append((invites[before] - sent) * 1000)
            else:
                missing += 1
            # The next request once this one has ended (the user hangs up after 200 ms).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                connection.request("GET", f"/api/v1/callbacks/{created['id']}", headers={"Authorization": AUTH})
                state = json.loads(connection.getresponse().read()).get("state")
                if state in ("completed", "failed", "cancelled"):
                    break
                time.sleep(0.1)
    finally:
        sipp.terminate()
        sipp.wait()
        server.stop()
    return {"requests": count, "invites": len(gaps), "missing": missing, "post_to_invite_ms": summary(gaps)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build-release", "release", "switchback"))
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--invites", type=int, default=20)
    parser.add_argument("--json", help="write the figures here too")
    arguments = parser.parse_args()
    arguments.binary = os.path.abspath(arguments.binary)
    if not os.access(arguments.binary, os.X_OK):
        sys.exit(f"no switchback binary at {arguments.binary}: swift build -c release --product switchback "
                 "--scratch-path .build-release")
    if shutil.which("sipp") is None:
        sys.exit("sipp is not installed: apt-get install sip-tester")
    base = tempfile.mkdtemp(prefix="switchback-api-latency-")
    work = os.path.join(base, "load")
    os.makedirs(work)
    server = Server(arguments.binary, work, "1h")
    try:
        load = load_phase(arguments.rate, arguments.seconds, arguments.workers)
    finally:
        server.stop()
    invites = invite_phase(arguments.binary, base, arguments.invites)
    figures = {"load": load, "invite": invites, "work": base}
    print(json.dumps(figures, indent=2))
    if arguments.json:
        open(arguments.json, "w").write(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
