"""A client of the HTTP API written with Python's standard library only (not the
project's code): posts a callback with HTTP Basic, prints the response, then reads the
request's Server-Sent Events until the server ends the stream, one JSON line per event.

usage: api_callback_client.py BASE LOGIN PASSWORD BODY_JSON
"""
import base64
import json
import sys
import time
import urllib.request

base, login, password, body = sys.argv[1:5]
auth = "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()

started = time.monotonic()
request = urllib.request.Request(
    f"{base}/api/v1/callbacks", data=body.encode(), method="POST",
    headers={"Authorization": auth, "Content-Type": "application/json", "Idempotency-Key": "e2e-1"})
with urllib.request.urlopen(request, timeout=10) as response:
    created = json.load(response)
    print(json.dumps({"status": response.status, "location": response.headers["Location"], "body": created,
                      "ms": round((time.monotonic() - started) * 1000, 1)}), flush=True)

events = urllib.request.Request(f"{base}{created and '/api/v1/callbacks/%d/events' % created['id']}",
                                headers={"Authorization": auth, "Accept": "text/event-stream"})
with urllib.request.urlopen(events, timeout=90) as stream:
    print(json.dumps({"content-type": stream.headers["Content-Type"]}), flush=True)
    fields = {}
    for raw in stream:
        line = raw.decode().rstrip("\r\n")
        if line == "":
            if "data" in fields:
                print(json.dumps({"id": fields.get("id"), "event": fields.get("event"),
                                  "data": json.loads(fields["data"])}), flush=True)
            fields = {}
        elif not line.startswith(":") and ":" in line:
            name, value = line.split(":", 1)
            fields[name] = value[1:] if value.startswith(" ") else value
print(json.dumps({"end": True}), flush=True)
