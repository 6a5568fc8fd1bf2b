#!/usr/bin/env bash
# Sets Pincer up on this machine and runs the gateway on the embedded default, the native
# sandbox:
#   1. installs the build dependencies (Debian packages) and builds pincer;
#   2. `pincer onboard` writes the starter configuration (two sandboxed agents,
#      examples/starter.json5) and a gateway token (<state dir>/gateway.env), unless a
#      configuration exists;
#   3. builds the sandbox image from Debian's mirror unless it exists (needs root);
#   4. starts the gateway in the foreground and prints its URL, the token and a curl that runs
#      `exec` in the main agent's sandbox. Stop it with Ctrl-C.
# Environment: PINCER_STATE_DIR (default ~/.pincer), PINCER_CONFIG, PINCER_GATEWAY_PORT;
# PINCER_BIN=path skips steps 1 (use that binary); PINCER_NATIVE_IMAGE_STORE=dir reuses the
# images of another state dir (dir/images) instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${PINCER_BIN:-}" ]; then
    pincer="$PINCER_BIN"
else
    scripts/setup.sh --preset release
    pincer=build/release/pincer
fi

state_dir="${PINCER_STATE_DIR:-$HOME/.pincer}"
export PINCER_STATE_DIR="$state_dir"
config="${PINCER_CONFIG:-$state_dir/pincer.json5}"
if [ ! -e "$config" ]; then
    # Its own output would show the token a second time: the summary below has it.
    "$pincer" onboard --config "$config" >/dev/null
    echo "quickstart: pincer onboard wrote the starter configuration to $config"
else
    echo "quickstart: using the existing configuration $config"
fi
"$pincer" config validate --config "$config"

if [ -n "${PINCER_NATIVE_IMAGE_STORE:-}" ] && [ ! -e "$state_dir/images" ]; then
    ln -s "$PINCER_NATIVE_IMAGE_STORE/images" "$state_dir/images"
fi
image=openclaw-sandbox:bookworm-slim
if ! "$pincer" image list --json 2>/dev/null | grep -q "\"$image\""; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "quickstart: the native sandbox needs root (namespaces, mounts, cgroups) and the" >&2
        echo "quickstart: image $image; run this script as root." >&2
        exit 1
    fi
    echo "quickstart: building the sandbox image $image from Debian's mirror (about 30 s)"
    "$pincer" image build "$image"
fi

# The gateway token, made by `pincer onboard`: kept in the state dir (0600), passed to the
# gateway through the environment, never on a command line.
token_file="$state_dir/gateway.env"
if [ ! -s "$token_file" ]; then
    echo "quickstart: $token_file is missing; run: $pincer onboard --force" >&2
    exit 1
fi
set -a
# shellcheck disable=SC1090
. "$token_file"
set +a
port="${PINCER_GATEWAY_PORT:-18789}"

cat <<MSG

Pincer gateway: http://127.0.0.1:$port
Token:          $PINCER_GATEWAY_TOKEN   (kept in $token_file)

Try it (runs \`uname -a\` in the main agent's sandbox):
  curl -s http://127.0.0.1:$port/tools/invoke \\
    -H "Authorization: Bearer $PINCER_GATEWAY_TOKEN" \\
    -H 'Content-Type: application/json' \\
    -d '{"tool":"exec","args":{"command":"id; uname -a"}}'

MSG
exec "$pincer" gateway --config "$config" --port "$port"
