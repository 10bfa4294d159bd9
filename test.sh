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
