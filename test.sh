#!/usr/bin/env bash
# Runs every test: unit tests of each module and the interop tests that drive the real
# server binary with real peers (sipp, baresip, tshark). Installs what they need first.
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh test
# `switchback --version` (and the package the tests build) carry the checkout's git describe.
export SWITCHBACK_VERSION="${SWITCHBACK_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
swift build --build-tests
# A full run also needs a release build (the Debian package test) and the fuzz targets'
# build: CPU work, while most interop tests wait on timers and peers. Both are built in the
# background, niced, while the tests run; the package test and Fuzz/run.sh then find them
# built (SwiftPM waits on a build directory's lock, so whoever comes early waits instead of
# building twice). The builds' output is in .build/background-builds.log.
fuzz_seconds="${SWITCHBACK_FUZZ_SECONDS:-20}"
if [ $# -eq 0 ]; then
  setsid nice -n 10 bash -c 'packaging/build-deb.sh --build-only && { [ "$0" = 0 ] || Fuzz/run.sh build; }' "$fuzz_seconds" \
    >.build/background-builds.log 2>&1 &
  background_builds=$!
  trap 'kill -- -$background_builds 2>/dev/null || true' EXIT
fi
swift test --skip-build "$@"
# Fuzzing (Fuzz/, README "Fuzzing"): each libFuzzer target for a bounded time on its
# corpus; a crash fails the run and leaves its input in Fuzz/Crashes/<target>/. Runs on a
# full run (no test filter) or when SWITCHBACK_FUZZ_SECONDS is set; 0 turns it off.
if [ $# -eq 0 ] || [ -n "${SWITCHBACK_FUZZ_SECONDS:-}" ]; then
  if [ "$fuzz_seconds" != 0 ]; then
    fuzz_started=$SECONDS
    Fuzz/run.sh all "$fuzz_seconds"
    echo "fuzzing took $((SECONDS - fuzz_started)) s"
  fi
fi
