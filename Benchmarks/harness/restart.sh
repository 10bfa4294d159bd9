#!/usr/bin/env bash
# Starts a fresh Switchback for the shared harness (../shared/bench) and for the bridge shape
# here: release build at $SWITCHBACK_BIN on 127.0.0.1:5072, pinned to the cores in
# $SWITCHBACK_CORES (default 1: the harness's DUT core; "0,1" = both cores for the 2-core
# figures) with the SIP side on $SWITCHBACK_SIP_LOOPS event loops (default 1: `sip.event-loops`).
# Stops the previous one by its recorded PID. Prints the PID last (ladder.sh --restart contract).
#
# Unlike ../shared/bench/switchback/restart.sh it sets `media.symmetric-rtp: off` (the harness
# needs RTP sent to the SDP address) and adds the bridge shape: access number "bridge" dials
# 4930777 through trunk `pstn` = the trunk UAS sipp on 127.0.0.1:5064 (bridge.py), paid by the
# funded account `bench` through free IVR access (as Benchmarks/load/payer.py).
# Free IVR access is on only with SWITCHBACK_SHAPE=bridge: it makes every unauthenticated call
# read its payer's account before the answer, work the harness's own config.yaml.in (ivr, hold,
# sig) does not ask for.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BENCH=${BENCH_DIR:-$ROOT/../shared/bench}
BIN=${SWITCHBACK_BIN:-$ROOT/.build-release/release/switchback}
CORES=${SWITCHBACK_CORES:-1}
RUN=${SWITCHBACK_RUN:-/tmp/switchback-harness}
[ -x "$BIN" ] || { echo "no server binary at $BIN (tools/release-build.sh --product switchback)" >&2; exit 1; }
mkdir -p "$RUN"
if [ -f "$RUN/pid" ]; then
  old=$(cat "$RUN/pid"); kill "$old" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$old" 2>/dev/null
fi
rm -rf "$RUN/data"; mkdir -p "$RUN/data" "$RUN/sounds/en"
[ -f "$RUN/sounds/en/prompt.wav" ] || sox -t raw -e a-law -r 8000 -c 1 "$BENCH/asterisk/sounds/prompt.alaw" "$RUN/sounds/en/prompt.wav"
cp "$BENCH/switchback/ivr.yaml" "$BENCH/switchback/hold.yaml" "$ROOT/Benchmarks/load/bridge.yaml" "$RUN/"
# Only when asked: builds before sip.event-loops refuse the key.
sip_section=${SWITCHBACK_SIP_LOOPS:+"sip: { event-loops: $SWITCHBACK_SIP_LOOPS }"}
callback_section=
[ "${SWITCHBACK_SHAPE:-}" = bridge ] && callback_section="callback: { free-ivr-access: true, free-access-user: bench }"
cat > "$RUN/config.yaml" <<CONF
$sip_section
sounds: $RUN/sounds
media: { symmetric-rtp: off }
trunks:
  - name: pstn
    uri: sip:127.0.0.1:${BRIDGE_UAS_PORT:-5064}
    destinations: ["*"]
campaigns:
  bench-ivr:  { script: $RUN/ivr.yaml }
  bench-hold: { script: $RUN/hold.yaml }
  bench-bridge: { script: $RUN/bridge.yaml }
access-numbers:
  "ivr":    { campaign: bench-ivr }
  "hold":   { campaign: bench-hold }
  "bridge": { campaign: bench-bridge }
$callback_section
CONF
# The bridge's payer: plan and account `bench` (a dial reaches a trunk only when someone pays).
printf 'prefix,description,rate,connection fee,first increment,increment\n49,Germany,0.0100,0.0000,1,1\n' > "$RUN/bench-rates.csv"
"$BIN" rates import bench "$RUN/bench-rates.csv" --currency EUR --data-dir "$RUN/data" >/dev/null || exit 1
"$BIN" accounts add bench --password bench-password --balance 1000000 --plan bench --data-dir "$RUN/data" >/dev/null || exit 1
ulimit -n 20000 2>/dev/null
taskset -c "$CORES" "$BIN" serve --config "$RUN/config.yaml" --sip-listen 127.0.0.1:5072 \
  --http-listen 127.0.0.1:18081 --data-dir "$RUN/data" --log-format json ${SWITCHBACK_SERVE_ARGS:-} > "$RUN/server.log" 2>&1 &
pid=$!
echo $pid > "$RUN/pid"
for _ in $(seq 1 60); do
  kill -0 $pid 2>/dev/null || { echo "switchback exited: $(tail -c 400 "$RUN/server.log")" >&2; exit 1; }
  sipsak -s sip:ping@127.0.0.1:5072 >/dev/null 2>&1 && break
  sleep 0.5
done
echo $pid
