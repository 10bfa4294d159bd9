#!/usr/bin/env python3
"""The SMSC side of Kannel's `fake` SMSC protocol (gw/smsc/smsc_fake.c), for the SMS
interop tests: connects to bearerbox's fake-SMSC port, sends each line read from stdin
("sender receiver text message") as a mobile-originated message, and prints every
message bearerbox delivers ("sender receiver text|data message") as
"MT <unix time> <line>", flushed at once. Reconnects when bearerbox restarts."""
import socket
import sys
import threading
import time
import urllib.parse

host, port = sys.argv[1], int(sys.argv[2])
lock = threading.Lock()
connection = None


def say(line):
    with lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def receive_forever():
    global connection
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=2)
        except OSError:
            time.sleep(0.2)
            continue
        sock.settimeout(None)
        with lock:
            connection = sock
        say("CONNECTED")
        buffer = b""
        while True:
            try:
                chunk = sock.recv(4096)
            except OSError:
                chunk = b""
            if not chunk:
                break
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").rstrip("\r")
                parts = line.split(" ", 3)
                if len(parts) == 4 and parts[2] == "data":
                    parts[3] = urllib.parse.unquote_plus(parts[3], encoding="utf-8", errors="replace")
                    parts[2] = "text"
                say("MT %.6f %s" % (time.time(), " ".join(parts)))
        with lock:
            connection = None
        say("DISCONNECTED")
        time.sleep(0.2)


threading.Thread(target=receive_forever, daemon=True).start()
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line:
        continue
    while True:
        with lock:
            sock = connection
        if sock is not None:
            try:
                sock.sendall((line + "\n").encode("utf-8"))
                say("MO %.6f %s" % (time.time(), line))
                break
            except OSError:
                pass
        time.sleep(0.1)
