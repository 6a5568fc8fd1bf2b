#!/usr/bin/env bash
# Builds the browser sandbox image from Dockerfile.sandbox-browser (docs/browser.md,
# docs/install.md "Sandbox images"), on the minimal one (built first by scripts/sandbox-setup.sh
# when missing). An image that exists is left alone unless FORCE=1.
#
# Environment (OpenClaw's names): TARGET_IMAGE (default openclaw-sandbox-browser:bookworm-slim),
# BASE_IMAGE (default openclaw-sandbox:bookworm-slim), PACKAGES (default: the Dockerfile's list,
# "chromium fonts-dejavu-core fonts-liberation"), FORCE. The native backend's equivalent:
#   pincer image build openclaw-sandbox-browser:bookworm-slim --from openclaw-sandbox:bookworm-slim \
#       --packages "chromium fonts-dejavu-core fonts-liberation"
set -euo pipefail
cd "$(dirname "$0")/.."

target="${TARGET_IMAGE:-openclaw-sandbox-browser:bookworm-slim}"
base="${BASE_IMAGE:-openclaw-sandbox:bookworm-slim}"
die() { echo "sandbox-browser-setup: error: $*" >&2; exit 1; }

timeout 20 docker info >/dev/null 2>&1 || die "no Docker engine answers: run scripts/docker-env.sh"
if docker image inspect "$target" >/dev/null 2>&1 && [ "${FORCE:-0}" != 1 ]; then
    echo "sandbox-browser-setup: $target exists (FORCE=1 rebuilds it)"
    exit 0
fi
if ! docker image inspect "$base" >/dev/null 2>&1; then
    TARGET_IMAGE="$base" scripts/sandbox-setup.sh
fi
args=(--build-arg "BASE_IMAGE=$base")
[ -z "${PACKAGES:-}" ] || args+=(--build-arg "PACKAGES=$PACKAGES")
build_env=()
docker buildx version >/dev/null 2>&1 || build_env=(env DOCKER_BUILDKIT=0)
echo "sandbox-browser-setup: building $target FROM $base"
start=$SECONDS
"${build_env[@]}" docker build --force-rm "${args[@]}" -t "$target" -f Dockerfile.sandbox-browser .
echo "sandbox-browser-setup: built $target in $((SECONDS - start))s. Use it with:"
echo "  agents.defaults.sandbox.docker.image: \"$target\" and sandbox.browser.enabled: true (docs/browser.md)"
