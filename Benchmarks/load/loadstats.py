"""What both load runs measure of a process and a list of latencies (Linux /proc)."""
import csv
import os


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def cpu_seconds(pid):
    """utime + stime of `pid`, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def sipp_counts(stat_files):
    """(successful, failed) calls from the last row of the newest of sipp's -trace_stat files."""
    stats = sorted(stat_files)
    if not stats:
        return 0, 0
    rows = [r for r in csv.reader(open(stats[-1]), delimiter=";") if r]
    header, last = rows[0], rows[-1]
    return int(last[header.index("SuccessfulCall(C)")]), int(last[header.index("FailedCall(C)")])


def sipp_rtts(rtt_files):
    """Response times (ms) from sipp's -trace_rtt files."""
    values = []
    for path in rtt_files:
        rows = list(csv.reader(open(path), delimiter=";"))
        if not rows:
            continue
        column = rows[0].index("response_time_ms") if "response_time_ms" in rows[0] else 1
        for row in rows[1:]:
            if len(row) > column and row[column].replace(".", "", 1).isdigit():
                values.append(float(row[column]))
    return values
