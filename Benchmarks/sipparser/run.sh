#!/usr/bin/env bash
# SIP parser figures: messages/s single-threaded, and instructions per parse (callgrind;
# repeatable on a busy machine, unlike times). Compiles the parser sources with main.swift
# (swiftc -O, whole module).
#   Benchmarks/sipparser/run.sh [SECONDS_PER_CASE] [CALLGRIND_PARSES]   (defaults 2 and 20000)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
seconds="${1:-2}"
parses="${2:-20000}"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && swiftc -O -wmo -module-name SIPParserBench -o "$work/sipparser" \
  "$root"/Sources/SIP/Message/*.swift "$root"/Sources/SIP/Headers/*.swift \
  "$root/Benchmarks/sipparser/main.swift")
"$work/sipparser" time "$seconds"
count() {  # instructions of a run parsing case $1 $2 times
  valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$work/sipparser" count "$1" "$2" 2>&1 \
    | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
printf '%-14s %14s\n' case "Ir per parse"
for c in invite invite+typed ok bye; do
  base="$(count "$c" 0)"
  total="$(count "$c" "$parses")"
  printf '%-14s %14s\n' "$c" "$(( (total - base) / parses ))"
done
