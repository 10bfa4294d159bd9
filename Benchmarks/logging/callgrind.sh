#!/usr/bin/env bash
# Instructions per log line, before (Foundation JSONSerialization with sorted keys, as
# the JSON handler was until issue 19) and after (LogLineFormatter, JSON and text).
# Instruction counts are repeatable on a busy machine, unlike times.
#   Benchmarks/logging/callgrind.sh [LINES] [FOUNDATION_LINES]
#     (defaults 100000 and 10000: the Foundation path is slow under callgrind; the
#     figure is per line either way, the start-up's instructions subtracted; needs valgrind)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
lines="${1:-100000}"
foundation_lines="${2:-10000}"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
swiftc -O -module-name LogBench -o "$work/logbench" \
  "$root/Sources/SwitchbackLogging/LogSeverity.swift" \
  "$root/Sources/SwitchbackLogging/LogRedaction.swift" \
  "$root/Sources/SwitchbackLogging/LogLineFormatter.swift" \
  "$root/Benchmarks/logging/main.swift"
count() {  # instructions of a run formatting $2 lines in mode $1
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/logbench" "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-12s %16s %16s\n' mode "instructions" "per line"
for mode in foundation json text; do
  n="$lines"
  [ "$mode" = foundation ] && n="$foundation_lines"
  base="$(count "$mode" 0)"
  total="$(count "$mode" "$n")"
  printf '%-12s %16s %16s   (%s lines)\n' "$mode" "$total" "$(( (total - base) / n ))" "$n"
done
