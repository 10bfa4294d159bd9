#!/usr/bin/env python3
"""CPU per thread of one process over a window: which event loop carries the work.

    Benchmarks/harness/threads.py PID SECONDS [--delay S]

Reads /proc/PID/task/*/stat (utime + stime) at the start and the end of the window and
prints each thread's name and CPU in % of one core, busiest first. Issue 19: with
`sip.event-loops: 1` one event loop carries all SIP (the endpoint, transactions, the router
and every call's signalling) and the media is spread over all loops; with one SIP loop per
core (`SWITCHBACK_SIP_LOOPS=2 restart.sh`) both carry calls. Run this next to a harness run
on two cores to see how the server's work falls to its loops.
"""
import argparse
import os
import sys
import time


def threads(pid):
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                st = f.read()
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
        except OSError:
            continue
        fl = st.rsplit(")", 1)[1].split()
        out[int(tid)] = (name, int(fl[11]) + int(fl[12]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("pid", type=int)
    ap.add_argument("seconds", type=float)
    ap.add_argument("--delay", type=float, default=0, help="wait this long before the window starts")
    a = ap.parse_args()
    if not os.path.isdir(f"/proc/{a.pid}"):
        sys.exit(f"no process {a.pid}")
    hz = os.sysconf("SC_CLK_TCK")
    time.sleep(a.delay)
    t0, before = time.monotonic(), threads(a.pid)
    time.sleep(a.seconds)
    t1, after = time.monotonic(), threads(a.pid)
    rows = []
    for tid, (name, ticks) in after.items():
        rows.append((100.0 * (ticks - before.get(tid, (name, 0))[1]) / hz / (t1 - t0), tid, name))
    rows.sort(reverse=True)
    total = sum(r[0] for r in rows)
    print(f"pid {a.pid}: {total:.1f} % of one core over {t1 - t0:.1f} s")
    for pct, tid, name in rows:
        if pct >= 0.5:
            print(f"  {pct:6.1f} %  {name} (tid {tid})  {100 * pct / total if total else 0:.0f} % of the process")


if __name__ == "__main__":
    main()
