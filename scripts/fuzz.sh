#!/usr/bin/env bash
# Runs the fuzz targets longer than ctest's corpus replay does (docs/fuzzing.md).
#
#   scripts/fuzz.sh [--time SECONDS] [TARGET...]     default: 300 s each, every target
#
# With clang (Debian's clang and libclang-rt-14-dev) it builds the fuzz preset (libFuzzer with
# ASan and UBSan) and runs each target for SECONDS on a scratch copy of its seed corpus, so new
# inputs do not land in the repository; crashes, leaks and timeouts are written to
# build/fuzz/findings/<target>/ and the script exits 1 naming them. Add a reproducer to
# fuzz/corpus/<target>/ once it is fixed. Without clang it says so and only replays the seeds
# with the debug build's replay driver (no new inputs are generated then).
set -euo pipefail
cd "$(dirname "$0")/.."

secs=300
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) secs="${2:?--time needs a number of seconds}"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) echo "fuzz: unknown option '$1'" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
case "$secs" in ''|*[!0-9]*) echo "fuzz: --time takes whole seconds, not '$secs'" >&2; exit 2 ;; esac
if [ ${#targets[@]} -eq 0 ]; then
    for f in fuzz/fuzz-*.c; do targets+=("$(basename "$f" .c)"); done
fi
for t in "${targets[@]}"; do
    [ -f "fuzz/$t.c" ] || { echo "fuzz: no target '$t' (fuzz/$t.c)" >&2; exit 2; }
done

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is not installed (apt-get install clang libclang-rt-14-dev): only replaying the seeds" >&2
    cmake --preset debug >/dev/null && cmake --build --preset debug -j2 >/dev/null
    for t in "${targets[@]}"; do build/debug/fuzz/"$t" "fuzz/corpus/$t"; done
    exit 0
fi

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j2 --target "${targets[@]}"
failed=()
for t in "${targets[@]}"; do
    work="build/fuzz/corpus/$t" findings="build/fuzz/findings/$t"
    mkdir -p "$work" "$findings"
    dict=()
    case "$t" in fuzz-json5|fuzz-config) dict=(-dict=fuzz/json5.dict) ;; esac
    echo "fuzz: $t for ${secs}s (corpus $work, findings $findings)"
    if ! ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" build/fuzz/fuzz/"$t" \
            -max_total_time="$secs" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1 \
            -artifact_prefix="$findings/" "${dict[@]}" "$work" "fuzz/corpus/$t" \
            >"$findings/log" 2>&1; then
        failed+=("$t")
        grep -E "^(==[0-9]+==ERROR|SUMMARY)|invariant violated|Test unit written" "$findings/log" >&2 || true
    fi
    grep -E "^stat::number_of_executed_units|^Done" "$findings/log" || true
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: findings in ${failed[*]}: see build/fuzz/findings/<target>/" >&2
    exit 1
fi
echo "fuzz: no findings"
