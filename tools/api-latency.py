#!/usr/bin/env python3
"""Latency of POST /api/v1/callbacks at a fixed request rate, with Python's standard
library only (open-loop: requests start on schedule whether or not earlier ones ended).

usage: tools/api-latency.py BASE LOGIN PASSWORD FROM TO [RATE] [SECONDS]
prints p50/p99/max in milliseconds and the status counts.
"""
import base64
import collections
import http.client
import json
import sys
import threading
import time
import urllib.parse

base, login, password, origin, to = sys.argv[1:6]
rate = float(sys.argv[6]) if len(sys.argv) > 6 else 200.0
seconds = float(sys.argv[7]) if len(sys.argv) > 7 else 10.0
url = urllib.parse.urlparse(base)
auth = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()
body = json.dumps({"from": origin, "to": to})
latencies, statuses, lock = [], collections.Counter(), threading.Lock()
local = threading.local()


def post(index):
    connection = getattr(local, "connection", None)
    if connection is None:
        connection = local.connection = http.client.HTTPConnection(url.hostname, url.port, timeout=10)
    started = time.perf_counter()
    try:
        connection.request("POST", "/api/v1/callbacks", body=body, headers={
            "Authorization": auth, "Content-Type": "application/json", "Idempotency-Key": f"latency-{index}"})
        response = connection.getresponse()
        response.read()
        status = response.status
    except Exception as error:  # noqa: BLE001 - counted, not hidden
        local.connection = None
        status = type(error).__name__
    elapsed = (time.perf_counter() - started) * 1000
    with lock:
        latencies.append(elapsed)
        statuses[status] += 1


def worker(slots):
    for index, at in slots:
        delay = at - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        post(index)


total = int(rate * seconds)
start = time.perf_counter() + 0.5
schedule = [(i, start + i / rate) for i in range(total)]
threads = [threading.Thread(target=worker, args=(schedule[k::32],)) for k in range(32)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
latencies.sort()
pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
print(json.dumps({"requests": total, "rate": rate, "p50_ms": round(pick(0.50), 2), "p99_ms": round(pick(0.99), 2),
                  "max_ms": round(latencies[-1], 2), "statuses": {str(k): v for k, v in statuses.items()}}))
