#!/usr/bin/env bash
# Builds the libFuzzer targets (once; SwiftPM rebuilds only what changed) and runs one,
# or each, for SECONDS with its seed corpus.
#
#   Fuzz/run.sh TARGET SECONDS [libFuzzer flags...]   e.g. Fuzz/run.sh SIPMessageFuzz 60
#   Fuzz/run.sh all SECONDS                            each target in turn
#   Fuzz/run.sh long TARGET RUNS [libFuzzer flags...]  a long run by hand (RUNS executions, e.g.
#                                                      10000000: hours), at low priority
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
# No allocation and free stacks, no fill of new blocks: ASan's unwinding at every malloc was
# a fifth of an execution. A crash still shows where it happened, and its input is kept: run
# it again with ASAN_OPTIONS= for the stacks of the block involved.
export ASAN_OPTIONS=${ASAN_OPTIONS-malloc_context_size=0:max_malloc_fill_size=0}

TARGETS=(SIPMessageFuzz SIPStreamFuzz SDPFuzz DigestFuzz RTPFuzz IVRLoaderFuzz ConfigLoaderFuzz RateDeckFuzz SMSCommandFuzz)

usage() { echo "usage: Fuzz/run.sh TARGET|all SECONDS [libFuzzer flags...] | long TARGET RUNS [flags...] | build | list  (targets: ${TARGETS[*]})" >&2; exit 2; }

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

# A long run: the same corpus and crash inputs, but the working corpus stays (its path is
# printed, to merge from by hand) and only libFuzzer's summary lines are shown; the full
# log is beside the corpus.
long() {
    local target=$1 runs=$2; shift 2
    local work crashes start status=0
    work=$(mktemp -d "${TMPDIR:-/tmp}/switchback-fuzz-long-$target.XXXXXX")
    crashes="Crashes/$target"
    mkdir -p "$crashes"
    if [[ -d Corpus/$target ]]; then cp -R "Corpus/$target/." "$work/"; fi
    if compgen -G "$crashes/*" >/dev/null; then cp "$crashes"/* "$work/"; fi
    echo "== $target for $runs executions (corpus $work, log $work.log)"
    start=$(date +%s)
    nice -n 15 ".build/release/$target" -runs="$runs" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$crashes/" -print_final_stats=1 "$@" "$work" >"$work.log" 2>&1 || status=$?
    # Plain mode ends with a DONE line; -fork=N with status lines of the whole run (its
    # stat:: lines are the last job's).
    grep -e "^#[0-9]*.*DONE" -e "stat::number_of_executed_units" -e "ERROR" -e "SUMMARY" "$work.log" || true
    grep -e "^#[0-9]*: cov:" "$work.log" | tail -1 || true
    echo "$target: exit $status after $(( $(date +%s) - start )) s; to merge its new inputs:"
    echo "  Fuzz/.build/release/$target -merge=1 -rss_limit_mb=2048 Fuzz/Corpus/$target $work"
    return "$status"
}

[[ $# -ge 1 ]] || usage
case $1 in
    list) printf '%s\n' "${TARGETS[@]}" ;;
    build) build ;;
    long)
        [[ $# -ge 3 ]] || usage
        target=$2 runs=$3; shift 3
        [[ " ${TARGETS[*]} " == *" $target "* ]] || usage
        build
        long "$target" "$runs" "$@"
        ;;
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
