#!/usr/bin/env bash
# Builds the minimal sandbox image from Dockerfile.sandbox (docs/install.md "Sandbox images").
#
# Environment: TARGET_IMAGE (default openclaw-sandbox:bookworm-slim); BASE_IMAGE (default
# debian:bookworm-slim when the engine has it, else pincer-debian:bookworm-minbase, which
# scripts/sandbox-image.sh makes from the Debian mirror: Docker Hub is not needed); PACKAGES
# (default: the Dockerfile's list). The native backend's equivalent:
#   pincer image build openclaw-sandbox:bookworm-slim --packages "bash ca-certificates curl git jq python3 ripgrep"
set -euo pipefail
cd "$(dirname "$0")/.."

target="${TARGET_IMAGE:-openclaw-sandbox:bookworm-slim}"
die() { echo "sandbox-setup: error: $*" >&2; exit 1; }

timeout 20 docker info >/dev/null 2>&1 || die "no Docker engine answers: run scripts/docker-env.sh"
base="${BASE_IMAGE:-}"
if [ -z "$base" ]; then
    if docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
        base=debian:bookworm-slim
    else
        base=pincer-debian:bookworm-minbase
        docker image inspect "$base" >/dev/null 2>&1 ||
            scripts/sandbox-image.sh --name "$base" --packages "ca-certificates"
    fi
fi
args=(--build-arg "BASE_IMAGE=$base")
[ -z "${PACKAGES:-}" ] || args+=(--build-arg "PACKAGES=$PACKAGES")
build_env=()
docker buildx version >/dev/null 2>&1 || build_env=(env DOCKER_BUILDKIT=0)
echo "sandbox-setup: building $target FROM $base"
"${build_env[@]}" docker build --force-rm "${args[@]}" -t "$target" -f Dockerfile.sandbox .
echo "sandbox-setup: built $target"
