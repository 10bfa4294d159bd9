#!/usr/bin/env bash
# Builds the libFuzzer targets (once; SwiftPM rebuilds only what changed) and runs one,
# or each, for SECONDS with its seed corpus.
#
#   Fuzz/run.sh TARGET SECONDS [libFuzzer flags...]   e.g. Fuzz/run.sh SIPMessageFuzz 60
#   Fuzz/run.sh all SECONDS                            each target in turn
#   Fuzz/run.sh build                                  only build
#   Fuzz/run.sh list                                   the target names
#
# The working corpus is a temporary copy of Fuzz/Corpus/TARGET plus Fuzz/Crashes/TARGET
# (every earlier crash input, replayed as a regression check): a run never writes into
# the repository. A crash input is written to Fuzz/Crashes/TARGET/ (keep it: it becomes a
# regression test) and the script exits non-zero. New interesting inputs are merged into
# the repository corpus only by hand:
#   Fuzz/.build/release/TARGET -merge=1 Fuzz/Corpus/TARGET /tmp/new-inputs
set -euo pipefail
cd "$(dirname "$0")"
# libFuzzer reports crashes itself; the Swift backtracer under ASan only adds noise and time.
export SWIFT_BACKTRACE=enable=no

TARGETS=(SIPMessageFuzz SIPStreamFuzz SDPFuzz DigestFuzz RTPFuzz IVRLoaderFuzz ConfigLoaderFuzz RateDeckFuzz SMSCommandFuzz)

usage() { echo "usage: Fuzz/run.sh TARGET|all SECONDS [libFuzzer flags...] | build | list  (targets: ${TARGETS[*]})" >&2; exit 2; }

build() {
    local log status=0 target
    log=$(mktemp "${TMPDIR:-/tmp}/switchback-fuzz-build.XXXXXX")
    swift build -c release \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing \
        >"$log" 2>&1 || status=$?
    grep -v -e "^\[[0-9]*/[0-9]*\]" -e "unhandled; explicitly declare" -e "CMakeLists.txt" \
            -e "__asan_extra_spill_area" "$log" || true
    rm -f "$log"
    # A failed build must not leave an older binary to be fuzzed in its place.
    [[ $status -eq 0 ]] || { echo "Fuzz/run.sh: the fuzz targets did not build (swift build exit $status)" >&2; exit 1; }
    for target in "${TARGETS[@]}"; do
        [[ -x .build/release/$target ]] || { echo "Fuzz/run.sh: $target did not build" >&2; exit 1; }
    done
}

run() {
    local target=$1 seconds=$2; shift 2
    local work crashes
    work=$(mktemp -d "${TMPDIR:-/tmp}/switchback-fuzz-$target.XXXXXX")
    crashes="Crashes/$target"
    mkdir -p "$crashes"
    if [[ -d Corpus/$target ]]; then cp -R "Corpus/$target/." "$work/"; fi
    # Every crash input found so far is replayed too: a regression fails the run.
    if compgen -G "$crashes/*" >/dev/null; then cp "$crashes"/* "$work/"; fi
    echo "== $target for ${seconds}s (corpus $(ls "$work" | wc -l) files)"
    local status=0
    # -rss_limit_mb: the YAML targets legitimately build large trees; 2 GB still catches a leak.
    ".build/release/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" -print_final_stats=1 "$@" "$work" 2>&1 \
        | grep -v -e "^#[0-9]*.*\(NEW\|REDUCE\|pulse\)" || status=${PIPESTATUS[0]}
    rm -rf "$work"
    if [[ $status -ne 0 ]]; then
        echo "Fuzz/run.sh: $target failed (exit $status); the input is in Fuzz/$crashes/" >&2
        return 1
    fi
}

[[ $# -ge 1 ]] || usage
case $1 in
    list) printf '%s\n' "${TARGETS[@]}" ;;
    build) build ;;
    all)
        [[ $# -ge 2 ]] || usage
        seconds=$2; shift 2
        build
        failed=()
        for target in "${TARGETS[@]}"; do run "$target" "$seconds" "$@" || failed+=("$target"); done
        if [[ ${#failed[@]} -gt 0 ]]; then echo "Fuzz/run.sh: crashes in ${failed[*]}" >&2; exit 1; fi
        ;;
    *)
        [[ $# -ge 2 ]] || usage
        target=$1 seconds=$2; shift 2
        [[ " ${TARGETS[*]} " == *" $target "* ]] || usage
        build
        run "$target" "$seconds" "$@"
        ;;
esac
