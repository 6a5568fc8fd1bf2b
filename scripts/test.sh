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

# The Docker tests need an engine and the base sandbox image. As root (CI) the scripts install
# and start what is missing, and a failure is fatal; the tests then must not skip. Without
# root, the Docker tests run if an engine is already usable and otherwise skip saying why.
if [ "$(id -u)" -eq 0 ]; then
    scripts/docker-env.sh
    scripts/sandbox-image.sh
    export PINCER_REQUIRE_DOCKER=1
    # The native backend's tests share one image store, built once from Debian's mirror and
    # kept between runs (pincer image build is a no-op when the image exists).
    export PINCER_NATIVE_IMAGE_STORE="${PINCER_NATIVE_IMAGE_STORE:-/var/cache/pincer/native-store}"
    if ! PINCER_STATE_DIR="$PINCER_NATIVE_IMAGE_STORE" build/release/pincer image list --json 2>/dev/null |
            grep -q '"openclaw-sandbox:bookworm-slim"'; then
        PINCER_STATE_DIR="$PINCER_NATIVE_IMAGE_STORE" build/release/pincer image build openclaw-sandbox:bookworm-slim
    fi
    # The browser tool's images (Chromium from Debian), each built once and kept: about 40 s
    # for Docker and 50 s for native, from the base images.
    scripts/sandbox-browser-setup.sh
    if ! PINCER_STATE_DIR="$PINCER_NATIVE_IMAGE_STORE" build/release/pincer image list --json 2>/dev/null |
            grep -q '"openclaw-sandbox-browser:bookworm-slim"'; then
        PINCER_STATE_DIR="$PINCER_NATIVE_IMAGE_STORE" build/release/pincer image build \
            openclaw-sandbox-browser:bookworm-slim --from openclaw-sandbox:bookworm-slim \
            --packages "chromium fonts-dejavu-core fonts-liberation"
    fi
    export PINCER_REQUIRE_NATIVE=1
    # CI owns its engine: tests/e2e/test_engine_restart.py may restart it. Elsewhere
    # the engine may be shared, and restarting it stops everybody's containers.
    export PINCER_FAULTS_RESTART_DOCKER="${PINCER_FAULTS_RESTART_DOCKER:-1}"
elif scripts/docker-env.sh >/dev/null 2>&1 && scripts/sandbox-image.sh >/dev/null 2>&1; then
    export PINCER_REQUIRE_DOCKER=1
else
    echo "test: no usable Docker engine (not root, so nothing was installed): the Docker tests will be skipped and say so" >&2
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "test: not root: the native sandbox tests (namespaces, mounts, cgroups) will be skipped and say so" >&2
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --preset debug -j"$(nproc)" "$@"
