#!/usr/bin/env bash
# Installs what building, running and testing Switchback need on Debian bookworm.
#   tools/install-deps.sh run    -> build/run dependencies (libsndfile, libsqlite3)
#   tools/install-deps.sh test   -> plus the real peers and tools the tests drive (and PostgreSQL,
#                                   which the Store tests start in a temporary directory)
set -euo pipefail
want=(libsndfile1-dev libsqlite3-dev pkg-config)
if [ "${1:-run}" = "test" ]; then
  want+=(sip-tester baresip-core sipsak espeak-ng sox libsox-fmt-all tshark python3 sipvicious kannel kannel-extras kamailio
         chromium chromium-driver postgresql)
fi
missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if [ "${1:-run}" = "test" ]; then
  python3 -c "import jsonschema, yaml, schemathesis" 2>/dev/null || python3 -m pip install -q jsonschema pyyaml schemathesis
  # PJSUA2, PJSIP's Python binding: the third independent SIP stack (PjsuaCallingCardTests).
  # The manylinux wheel bundles its own libraries; it needs only libstdc++ and zlib.
  python3 -c "import pjsua2" 2>/dev/null || python3 -m pip install -q pjsua2-python
  # Selenium drives Debian's headless chromium through chromium-driver (WebPortalBrowserTests).
  python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q selenium
  # Fuzz/ links libFuzzer from the Swift toolchain itself (-sanitize=fuzzer); apt has no
  # package for it, so say which toolchain is needed rather than fail at link time.
  swift_lib="$(dirname "$(dirname "$(readlink -f "$(command -v swift)")")")/lib"
  if ! ls "$swift_lib"/clang/*/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1 && \
     ! ls "$swift_lib"/swift/clang/lib/linux/libclang_rt.fuzzer-*.a >/dev/null 2>&1; then
    echo "the Swift toolchain at $swift_lib has no libclang_rt.fuzzer: install the swift.org Linux toolchain (6.3), which ships it" >&2
    exit 1
  fi
fi
