#!/usr/bin/env bash
# Builds the browser sandbox images, for the browser tool (docs/browser.md):
#
#   scripts/sandbox-browser-setup.sh [--docker] [--native] [--force]
#
#   --docker   openclaw-sandbox-browser:bookworm-slim for the Docker backend: FROM the base
#              image (scripts/sandbox-image.sh makes it when missing) + docker/Dockerfile.sandbox-browser
#   --native   the same name in the native backend's image store ($PINCER_STATE_DIR, default
#              ~/.pincer): `pincer image build ... --from openclaw-sandbox:bookworm-slim
#              --packages "chromium fonts-dejavu-core fonts-liberation"` (the base is built first
#              when missing)
#   --force    rebuild an image that exists
#
# Without --docker or --native: --docker (OpenClaw's script of the same name builds the Docker
# image). An image that exists is left alone. PINCER names the pincer binary (default: the
# one on PATH, else build/release/pincer).
set -euo pipefail
cd "$(dirname "$0")/.."

name=openclaw-sandbox-browser:bookworm-slim
base=openclaw-sandbox:bookworm-slim
packages="chromium fonts-dejavu-core fonts-liberation"
docker=0
native=0
force=0
while [ $# -gt 0 ]; do
    case "$1" in
        --docker) docker=1; shift ;;
        --native) native=1; shift ;;
        --force) force=1; shift ;;
        -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
        *) echo "sandbox-browser-setup: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
[ "$docker" -eq 1 ] || [ "$native" -eq 1 ] || docker=1

say() { echo "sandbox-browser-setup: $*"; }

if [ "$docker" -eq 1 ]; then
    if docker image inspect "$name" >/dev/null 2>&1 && [ "$force" -eq 0 ]; then
        say "$name exists (use --force to rebuild it)"
    else
        docker image inspect "$base" >/dev/null 2>&1 || scripts/sandbox-image.sh --name "$base"
        start=$SECONDS
        build_env=()
        docker buildx version >/dev/null 2>&1 || build_env=(env DOCKER_BUILDKIT=0)
        say "building $name FROM $base (docker/Dockerfile.sandbox-browser)"
        "${build_env[@]}" docker build --build-arg "BASE=$base" --build-arg "PACKAGES=$packages" \
            --force-rm --tag "$name" --file docker/Dockerfile.sandbox-browser docker
        say "$name ready in $((SECONDS - start))s"
    fi
fi

if [ "$native" -eq 1 ]; then
    pincer="${PINCER:-$(command -v pincer || echo build/release/pincer)}"
    if "$pincer" image list --json 2>/dev/null | grep -q "\"$name\"" && [ "$force" -eq 0 ]; then
        say "$name exists in the native image store (use --force to rebuild it)"
    else
        "$pincer" image list --json 2>/dev/null | grep -q "\"$base\"" ||
            "$pincer" image build "$base"
        start=$SECONDS
        replace=()
        [ "$force" -eq 1 ] && replace=(--replace)
        say "building the native image $name from $base"
        "$pincer" image build "$name" --from "$base" --packages "$packages" "${replace[@]}"
        say "$name ready in $((SECONDS - start))s"
    fi
fi
