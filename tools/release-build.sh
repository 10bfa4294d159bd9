#!/usr/bin/env bash
# The release build of this package: `swift build -c release` plus the flags the shipped
# server is built with; extra arguments go to `swift build` (e.g. --product switchback,
# --scratch-path DIR, --static-swift-stdlib).
#
# -enforce-exclusivity=unchecked: no run-time exclusivity checks (every module, NIO's too).
# They cost 15 % of the instructions of an IVR call and 17 % per relayed RTP packet
# (Benchmarks/callgrind), the largest single item left in a call's profile; debug builds,
# which every unit and interop test runs, and the fuzz builds keep them, so an overlapping
# access still fails a test. The compile-time checks stay in every build.
set -euo pipefail
exec swift build -c release -Xswiftc -enforce-exclusivity=unchecked "$@"
