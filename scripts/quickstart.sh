#!/usr/bin/env bash
# Sets Pincer up on this machine and runs the gateway on the embedded default, the native
# sandbox:
#   1. installs the build dependencies (Debian packages) and builds pincer;
#   2. writes the starter configuration (two sandboxed agents, examples/starter.json5) unless
#      one exists;
#   3. builds the sandbox image from Debian's mirror unless it exists (needs root);
#   4. starts the gateway in the foreground and prints its URL, the token and a curl that runs
#      `exec` in the main agent's sandbox. Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --preset release
pincer=build/release/pincer

state_dir="${PINCER_STATE_DIR:-$HOME/.pincer}"
export PINCER_STATE_DIR="$state_dir"
config="${PINCER_CONFIG:-$state_dir/pincer.json5}"
mkdir -p "$state_dir"
chmod 700 "$state_dir"
if [ ! -e "$config" ]; then
    install -m 0600 examples/starter.json5 "$config"
    echo "quickstart: wrote the starter configuration to $config"
fi
"$pincer" config validate --config "$config"

# The agents' workspaces belong to the sandbox user (1000:1000 in the starter config), so that
# commands in the sandbox can write them while running unprivileged.
for ws in "$state_dir/workspace" "$state_dir/workspace-family"; do
    [ -d "$ws" ] || install -d -m 0750 -o 1000 -g 1000 "$ws"
done

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

# The gateway token: made once, kept in the state dir (0600), passed through the environment.
token_file="$state_dir/quickstart.token"
if [ ! -s "$token_file" ]; then
    (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$token_file")
fi
PINCER_GATEWAY_TOKEN="$(cat "$token_file")"
export PINCER_GATEWAY_TOKEN
port="${PINCER_GATEWAY_PORT:-18789}"

cat <<MSG

Pincer gateway: http://127.0.0.1:$port
Token:          $PINCER_GATEWAY_TOKEN   (also in $token_file)

Try it (runs \`uname -a\` in the main agent's sandbox):
  curl -s http://127.0.0.1:$port/tools/invoke \\
    -H "Authorization: Bearer \$(cat $token_file)" \\
    -H 'Content-Type: application/json' \\
    -d '{"tool":"exec","args":{"command":"id; uname -a"}}'

MSG
exec "$pincer" gateway --config "$config" --port "$port"
