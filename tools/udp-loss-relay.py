#!/usr/bin/env python3
"""A loss-and-delay UDP relay for tests (tc netem is not available on the test machines).

    udp-loss-relay.py --listen 127.0.0.1:15060 --target 127.0.0.1:5060 --loss 10 \
        --delay-ms 20 --jitter-ms 10 --seed 7 --stats stats.json

Datagrams to --listen go to --target from one upstream socket per client address, and
the target's answers to that socket go back to the client: both directions are relayed,
each dropped with probability --loss percent and delayed by --delay-ms plus a uniform
--jitter-ms (so with jitter datagrams may also be reordered, as on a real path). --seed
makes the drop/delay sequence repeatable.

It relays whatever UDP it is given: SIP, or RTP when a second relay is put on a media
port. It rewrites nothing, so addresses inside SIP or SDP still name the real peers:
a request the target sends to a Contact, or RTP to an SDP address, does not pass here.

Counts (per direction: received, dropped, forwarded, and repeats, i.e. datagrams whose
exact bytes were seen before in that direction: retransmissions) are written as JSON to
--stats every second and on SIGTERM/SIGINT, and printed on exit.
"""
import argparse
import hashlib
import heapq
import json
import os
import random
import select
import signal
import socket
import sys
import time


def address(text):
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host, int(port)


def percent(text):
    value = float(text)
    if not 0 <= value <= 100:
        raise argparse.ArgumentTypeError(f"loss must be 0..100 percent, got {text}")
    return value


def milliseconds(text):
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"milliseconds must not be negative, got {text}")
    return value


class Direction:
    def __init__(self, name):
        self.name = name
        self.received = 0
        self.dropped = 0
        self.forwarded = 0
        self.repeats = 0
        self.seen = set()

    def count(self, data):
        self.received += 1
        digest = hashlib.blake2b(data, digest_size=12).digest()
        if digest in self.seen:
            self.repeats += 1
        else:
            self.seen.add(digest)

    def stats(self):
        return {"received": self.received, "dropped": self.dropped, "forwarded": self.forwarded,
                "repeats": self.repeats}


def main():
    parser = argparse.ArgumentParser(description="UDP relay with loss and delay, both directions.")
    parser.add_argument("--listen", type=address, required=True, help="HOST:PORT the clients send to")
    parser.add_argument("--target", type=address, required=True, help="HOST:PORT the datagrams go to")
    parser.add_argument("--loss", type=percent, default=0.0, help="percent of datagrams dropped, each direction")
    parser.add_argument("--delay-ms", type=milliseconds, default=0.0, help="fixed one-way delay")
    parser.add_argument("--jitter-ms", type=milliseconds, default=0.0, help="uniform extra delay 0..jitter")
    parser.add_argument("--seed", type=int, default=None, help="seed of the drop and delay choices")
    parser.add_argument("--stats", default=None, help="file the counts are written to (JSON)")
    parser.add_argument("--ready", default=None, help="file written once the relay listens (its HOST:PORT)")
    options = parser.parse_args()

    chance = random.Random(options.seed)
    listener = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        listener.bind(options.listen)
    except OSError as error:
        sys.exit(f"udp-loss-relay: cannot listen on {options.listen[0]}:{options.listen[1]}: {error}")
    listen_address = listener.getsockname()
    upstream_of = {}     # client address -> socket towards the target
    client_of = {}       # upstream socket -> client address
    toward_target = Direction("to-target")
    toward_client = Direction("to-client")
    pending = []         # (due, order, socket, data, destination)
    order = 0
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def snapshot():
        return {"listen": f"{listen_address[0]}:{listen_address[1]}",
                "target": f"{options.target[0]}:{options.target[1]}", "loss-percent": options.loss,
                "delay-ms": options.delay_ms, "jitter-ms": options.jitter_ms, "seed": options.seed,
                "clients": len(upstream_of), "to-target": toward_target.stats(), "to-client": toward_client.stats()}

    def write_stats():
        if options.stats:
            temporary = options.stats + ".tmp"
            with open(temporary, "w") as handle:
                json.dump(snapshot(), handle)
            os.replace(temporary, options.stats)

    def relay(direction, data, sock, destination):
        nonlocal order
        direction.count(data)
        if chance.random() * 100 < options.loss:
            direction.dropped += 1
            return
        delay = options.delay_ms + (chance.uniform(0, options.jitter_ms) if options.jitter_ms else 0)
        order += 1
        heapq.heappush(pending, (time.monotonic() + delay / 1000, order, sock, data, destination, direction))

    if options.ready:
        with open(options.ready, "w") as handle:
            handle.write(f"{listen_address[0]}:{listen_address[1]}\n")
    last_stats = 0.0
    while not stopping:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, sock, data, destination, direction = heapq.heappop(pending)
            try:
                sock.sendto(data, destination)
                direction.forwarded += 1
            except OSError:
                direction.dropped += 1   # e.g. ICMP port unreachable from an earlier send
        timeout = 0.2 if not pending else max(0.0, min(0.2, pending[0][0] - now))
        try:
            readable, _, _ = select.select([listener] + list(client_of), [], [], timeout)
        except InterruptedError:
            continue
        for sock in readable:
            try:
                data, source = sock.recvfrom(65535)
            except OSError:
                continue
            if sock is listener:
                upstream = upstream_of.get(source)
                if upstream is None:
                    upstream = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    upstream.bind((listen_address[0], 0))
                    upstream_of[source] = upstream
                    client_of[upstream] = source
                relay(toward_target, data, upstream, options.target)
            else:
                relay(toward_client, data, listener, client_of[sock])
        if now - last_stats >= 1.0:
            write_stats()
            last_stats = now
    write_stats()
    print(json.dumps(snapshot()), flush=True)


if __name__ == "__main__":
    main()
