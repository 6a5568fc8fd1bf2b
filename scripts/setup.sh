#!/usr/bin/env bash
# Installs the Debian packages Pincer needs to build and test, then configures and builds.
#
#   scripts/setup.sh [--preset debug|release|fuzz] [--no-build]
#
# Idempotent and quiet when everything is present. Needs root (or sudo) only when a
# package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

preset=release
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --preset) preset="${2:?--preset needs a value}"; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done

# Each package, and why: docs/ARCHITECTURE.md "Dependencies".
packages=(
    gcc clang cmake ninja-build pkg-config   # compilers (clang for the fuzz preset) and build
    libclang-rt-14-dev                       # libFuzzer and sanitizer runtimes for clang
    clang-format                             # the format check
    libjansson-dev                           # JSON values
    libsqlite3-dev                           # state: the sandbox registry
    libcurl4-openssl-dev                     # agents: model providers over HTTPS
    libcmocka-dev                            # unit tests
    libseccomp-dev                           # native sandbox: the seccomp filter (BPF export)
    libuv1-dev                               # the gateway's event loop
    libwebsockets-dev                        # the gateway's HTTP server (on the libuv loop)
    libwebsockets-evlib-uv                   # lws's libuv glue, a plugin loaded at run time
    python3 python3-pytest                   # end-to-end tests
    python3-websocket                        # end-to-end tests: the WebSocket client
    docker-compose                           # e2e: docker-compose.yml (test_docker_setup.py)
    chromium                                 # end-to-end tests: the browser tool on the host
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then
            sudo=(sudo)
        else
            echo "setup: need root to run: apt-get install ${missing[*]}" >&2
            exit 1
        fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$build" -eq 1 ]; then
    if [ ! -f "build/$preset/build.ninja" ]; then
        cmake --preset "$preset" >/dev/null
    fi
    cmake --build --preset "$preset"
fi
