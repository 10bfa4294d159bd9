#!/usr/bin/env bash
# Runs every test: unit tests of each module and the interop tests that drive the real
# server binary with real peers (sipp, baresip, tshark). Installs what they need first.
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh test
# `switchback --version` (and the package the tests build) carry the checkout's git describe.
export SWITCHBACK_VERSION="${SWITCHBACK_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
swift build --build-tests
swift test --skip-build "$@"
# Fuzzing (Fuzz/, README "Fuzzing"): each libFuzzer target for a bounded time on its
# corpus; a crash fails the run and leaves its input in Fuzz/Crashes/<target>/. Runs on a
# full run (no test filter) or when SWITCHBACK_FUZZ_SECONDS is set; 0 turns it off.
if [ $# -eq 0 ] || [ -n "${SWITCHBACK_FUZZ_SECONDS:-}" ]; then
  if [ "${SWITCHBACK_FUZZ_SECONDS:-30}" != 0 ]; then
    fuzz_started=$SECONDS
    Fuzz/run.sh all "${SWITCHBACK_FUZZ_SECONDS:-30}"
    echo "fuzzing took $((SECONDS - fuzz_started)) s"
  fi
fi
