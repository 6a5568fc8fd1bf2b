#!/usr/bin/env bash
# Builds the "common" sandbox image from Dockerfile.sandbox-common (docs/install.md "Sandbox
# images"), on the minimal one (built first by scripts/sandbox-setup.sh when missing).
#
# Environment (OpenClaw's names): TARGET_IMAGE (default openclaw-sandbox-common:bookworm-slim),
# BASE_IMAGE (default openclaw-sandbox:bookworm-slim), PACKAGES (default: the Dockerfile's list),
# INSTALL_PNPM (1), FINAL_USER (sandbox). Native images: the same packages with
#   pincer image build openclaw-sandbox-common:bookworm-slim --from openclaw-sandbox:bookworm-slim --packages "..."
set -euo pipefail
cd "$(dirname "$0")/.."

target="${TARGET_IMAGE:-openclaw-sandbox-common:bookworm-slim}"
base="${BASE_IMAGE:-openclaw-sandbox:bookworm-slim}"
die() { echo "sandbox-common-setup: error: $*" >&2; exit 1; }

timeout 20 docker info >/dev/null 2>&1 || die "no Docker engine answers: run scripts/docker-env.sh"
if ! docker image inspect "$base" >/dev/null 2>&1; then
    TARGET_IMAGE="$base" scripts/sandbox-setup.sh
fi
args=(--build-arg "BASE_IMAGE=$base")
[ -z "${PACKAGES:-}" ] || args+=(--build-arg "PACKAGES=$PACKAGES")
[ -z "${INSTALL_PNPM:-}" ] || args+=(--build-arg "INSTALL_PNPM=$INSTALL_PNPM")
[ -z "${FINAL_USER:-}" ] || args+=(--build-arg "FINAL_USER=$FINAL_USER")
# CAs the admin added on the host (a TLS-intercepting egress proxy), for the npm step only.
extra_ca=""
for crt in /usr/local/share/ca-certificates/*.crt; do
    [ -r "$crt" ] && extra_ca+="$(cat "$crt")"$'\n'
done
args+=(--build-arg "EXTRA_CA_CERTS=$extra_ca")
build_env=()
docker buildx version >/dev/null 2>&1 || build_env=(env DOCKER_BUILDKIT=0)
echo "sandbox-common-setup: building $target FROM $base"
"${build_env[@]}" docker build --force-rm "${args[@]}" -t "$target" -f Dockerfile.sandbox-common .
echo "sandbox-common-setup: built $target. Use it with:"
echo "  agents.defaults.sandbox.docker.image: \"$target\"  (pincer config, docs/config.md)"
