#!/usr/bin/env bash
# Calls per second through Kamailio with one node and with two, in one run (issue 17).
#
# A throwaway PostgreSQL, the shipped deploy/kamailio/kamailio.cfg (pike and ratelimit
# opened wide: the edge's flood limits are not what is measured), and `switchback serve`
# nodes on the shared database. sipp places CALLS calling-card calls (ANI login, a
# reservation opened and settled on PostgreSQL, 4 s answered: edge-caller.xml) at RATE per
# second through the edge, first with one node behind it, then with two. Printed per run:
# calls answered and ended, failed, the wall time, and the answered calls per second (the
# calls over the time from the first INVITE to the last call's end, less the 4 s hold).
#
#   Benchmarks/kamailio/cps.sh [BINARY] [CALLS] [RATE]
#   (default .build-release/release/switchback, 600 calls at 150/s; build it with
#    swift build -c release --scratch-path .build-release --product switchback)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
binary=${1:-$root/.build-release/release/switchback}
calls=${2:-600}
rate=${3:-150}
for tool in kamailio sipp; do
    command -v $tool >/dev/null || { echo "$tool missing: apt-get install kamailio sip-tester" >&2; exit 1; }
done
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL missing: apt-get install postgresql" >&2; exit 1; }
[ -x "$binary" ] || { echo "no switchback binary at $binary" >&2; exit 1; }

work=$(mktemp -d /tmp/switchback-cps-XXXXXX)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    sleep 1
    as_pg "$pgbin/pg_ctl" -D "$work/pg" -m immediate stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pgport=$(port)
mkdir -p "$work/pg" && chown -R "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)" "$work/pg"
as_pg "$pgbin/initdb" -D "$work/pg" -U switchback --auth=trust >/dev/null
as_pg "$pgbin/pg_ctl" -D "$work/pg" -l "$work/pg/log" -o "-p $pgport -k $work/pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
as_pg "$pgbin/createdb" -h 127.0.0.1 -p "$pgport" -U switchback switchback
url="postgresql://switchback@127.0.0.1:$pgport/switchback"

cli() { "$binary" "$@" --database "$url" --data-dir "$work/data" >/dev/null; }
cat > "$work/card.csv" <<CSV
prefix,description,rate,connection fee,first increment,increment
700,Calling card access,0.0725,0.0150,30,6
CSV
cli rates import card "$work/card.csv" --currency EUR --charge-a-leg
cli accounts add alice --password 2468 --pin 123456 --balance 1000000 --plan card
cli callers add alice 5551234

start_node() { # id sip-port http-port rtp-range
    cat > "$work/node-$1.yaml" <<YAML
sip:
  listen: [udp:127.0.0.1:$2, tcp:127.0.0.1:$2]
  edge-proxies: [127.0.0.1/32]
media: { rtp-ports: $4, bind: 127.0.0.1 }
sounds: $root/sounds
database: $url
node: { id: $1, lease: 30s }
secrets: { pin-pepper-file: $work/data.pin-pepper }
trunks:
  - { name: pstn, uri: "sip:127.0.0.1:9", destinations: ["49"], trusted-sources: [127.0.0.1/32] }
campaigns:
  calling-card: { script: $root/scripts/calling-card.yaml }
access-numbers:
  "700": { campaign: calling-card, callback: none }
YAML
    "$binary" serve --config "$work/node-$1.yaml" --http-listen "127.0.0.1:$3" --data-dir "$work/node-$1" \
        --log-level warning > "$work/node-$1.log" 2>&1 &
    pids+=($!)
}

start_edge() { # name node-ports...
    local name=$1; shift
    mkdir -p "$work/$name"
    : > "$work/$name/dispatcher.list"
    for p in "$@"; do echo "1 sip:127.0.0.1:$p 0 0" >> "$work/$name/dispatcher.list"; done
    edgeport=$(port)
    kamailio -DD -E -f "$root/deploy/kamailio/kamailio.cfg" -Y "$work/$name" -P "$work/$name/kamailio.pid" -m 256 -M 16 \
        -A "LISTEN=udp:127.0.0.1:$edgeport" -A "DISPATCHER_LIST=\"$work/$name/dispatcher.list\"" \
        -A "CTL_SOCKET=\"unix:$work/$name/ctl\"" -A PING_INTERVAL=1 -A PIKE_DENSITY=1000000 \
        -A 'INVITE_PIPE="1:TAILDROP:1000000"' > "$work/$name/kamailio.log" 2>&1 &
    edgepid=$!
    pids+=($edgepid)
    sleep 2
}

run_calls() { # label
    local dir="$work/sipp-$1"
    mkdir -p "$dir" && cp "$root"/Tests/InteropTests/Fixtures/sipp/edge-caller.xml "$dir/"
    local start end
    start=$(date +%s.%N)
    (cd "$dir" && sipp "127.0.0.1:$edgeport" -sf edge-caller.xml -s 700 -i 127.0.0.1 -p "$(port)" -mp 30000 \
        -m "$calls" -r "$rate" -l $((rate * 10)) -key caller 5551234 -timeout 120s -nostdin \
        -trace_stat -stf stat.csv > sipp.out 2>&1) || true
    end=$(date +%s.%N)
    python3 - "$1" "$dir/stat.csv" "$start" "$end" "$rate" <<'PY'
import sys
label, stat, start, end, rate = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rows = [line.rstrip("\n").split(";") for line in open(stat) if line.strip()]
header, last = rows[0], rows[-1]
ok, failed = int(last[header.index("SuccessfulCall(C)")]), int(last[header.index("FailedCall(C)")])
wall = end - start
print(f"{label}: {ok} calls answered and ended, {failed} failed, {wall:.1f} s wall; "
      f"{ok / max(wall - 4, 0.001):.1f} answered calls/s (offered {rate}/s, 4 s each)")
PY
}

start_node a 5171 8171 20000-24999
start_node b 5172 8172 25000-29999
for n in a b; do
    for _ in $(seq 150); do curl -fs --max-time 2 "http://127.0.0.1:$([ $n = a ] && echo 8171 || echo 8172)/healthz" >/dev/null && break; sleep 0.2; done
done
start_edge one 5171
run_calls "one node"
kill "$edgepid"; sleep 1
start_edge two 5171 5172
run_calls "two nodes"
