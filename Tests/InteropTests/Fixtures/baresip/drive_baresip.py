#!/usr/bin/env python3
"""Drives baresip through its ctrl_tcp module for the interop tests: start it, dial,
wait for CALL_ESTABLISHED, listen, key DTMF digits (RFC 4733 via 'sndcode'), then wait
for the far end to hang up (CALL_CLOSED), quit. Every step is bounded; prints events.
Exit 0 when the call was established and closed by the far end."""
import argparse, json, signal, socket, subprocess, sys, time

T0 = time.time()

def log(kind, obj):
    print(f"[{time.time() - T0:6.2f}s] {kind}: {obj if isinstance(obj, str) else json.dumps(obj)}", flush=True)

class Ctrl:
    def __init__(self, port, deadline):
        self.deadline, self.buf, self.events, self.n = deadline, b"", [], 0
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", port), timeout=1)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.2)

    def read(self, timeout):
        self.sock.settimeout(timeout)
        while True:
            if b":" in self.buf:
                head, rest = self.buf.split(b":", 1)
                size = int(head)
                if len(rest) >= size + 1:
                    msg, self.buf = rest[:size], rest[size + 1:]
                    return json.loads(msg)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("ctrl_tcp closed")
            self.buf += chunk

    def command(self, command, params=""):
        self.n += 1
        token = f"t{self.n}"
        body = json.dumps({"command": command, "params": params, "token": token}).encode()
        self.sock.sendall(str(len(body)).encode() + b":" + body + b",")
        while True:
            msg = self.read(max(0.1, self.deadline - time.time()))
            if msg.get("event"):
                log("event", msg)
                self.events.append(msg)
            elif msg.get("token") == token:
                log("response", msg)
                return msg

    def wait_event(self, etype, timeout):
        end = min(self.deadline, time.time() + timeout)
        for e in self.events:
            if e.get("type") == etype:
                return e
        while time.time() < end:
            try:
                msg = self.read(max(0.1, end - time.time()))
            except socket.timeout:
                break
            if msg.get("event"):
                log("event", msg)
                self.events.append(msg)
                if msg.get("type") == etype:
                    return msg
        raise TimeoutError(f"no {etype} within {timeout}s")

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--conf", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--digits", default="")
    ap.add_argument("--listen-secs", type=float, default=4.0)
    ap.add_argument("--digit-gap", type=float, default=0.4)
    ap.add_argument("--ctrl-port", type=int, required=True)
    ap.add_argument("--timeout", type=float, default=45.0)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    deadline = time.time() + a.timeout
    with open(a.log, "w") as logf:
        proc = subprocess.Popen(["baresip", "-f", a.conf, "-n", "127.0.0.1", "-t", str(int(a.timeout) + 5)],
                                stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
    log("baresip pid", str(proc.pid))
    ok = False
    try:
        ctrl = Ctrl(a.ctrl_port, deadline)
        ctrl.command("dial", a.target)
        ctrl.wait_event("CALL_ESTABLISHED", 10)
        time.sleep(a.listen_secs)
        for d in a.digits:
            ctrl.command("sndcode", d)
            time.sleep(a.digit_gap)
        ctrl.wait_event("CALL_CLOSED", 30)
        log("closed", "far end hung up")
        ok = True
        try:
            ctrl.command("quit")
        except (EOFError, OSError):
            pass
    finally:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log("baresip exit", str(proc.returncode))
    return 0 if ok else 1

if __name__ == "__main__":
    sys.exit(main())
