#!/usr/bin/env bash
# Sets up everything the tests need and runs the whole suite: unit tests, end-to-end tests,
# fuzz corpus replay and the lint checks, under ASan + UBSan (the debug preset). A release
# build is compiled too, because optimisation finds warnings that -O0 does not.
#
#   scripts/test.sh [ctest arguments...]     e.g. scripts/test.sh -L unit
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --preset debug
scripts/setup.sh --preset release

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --preset debug -j"$(nproc)" "$@"
