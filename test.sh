#!/usr/bin/env bash
# Runs every test: unit tests of each module and the interop tests that drive the real
# server binary with real peers (sipp, baresip, tshark). Installs what they need first.
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh test
swift build --build-tests
swift test --skip-build "$@"
