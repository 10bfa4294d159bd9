#!/usr/bin/env bash
# Runs the server on its embedded defaults (demo access number 100, SIP 5060, HTTP 8080,
# SQLite in ./data, scripts/ and sounds/ from this directory). Extra arguments go to
# `switchback serve` (see `--help`).
set -euo pipefail
cd "$(dirname "$0")"
tools/install-deps.sh run
export SWITCHBACK_VERSION="${SWITCHBACK_VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}"
tools/release-build.sh --product switchback
exec .build/release/switchback serve "$@"
