#!/usr/bin/env bash
# Sets Pincer up on this machine and starts it on the embedded default (the native sandbox).
#
# Until the gateway daemon lands, this builds pincer, installs the starter configuration
# into the state directory (unless one is there already) and validates it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh --preset release

state_dir="${PINCER_STATE_DIR:-$HOME/.pincer}"
config="${PINCER_CONFIG:-$state_dir/pincer.json5}"
if [ ! -e "$config" ]; then
    mkdir -p "$(dirname "$config")"
    install -m 0600 examples/starter.json5 "$config"
    echo "quickstart: wrote the starter configuration to $config"
fi

./build/release/pincer config validate --config "$config"
echo "quickstart: pincer is built at ./build/release/pincer; the gateway daemon is not part of"
echo "quickstart: this version yet (see docs/ARCHITECTURE.md for what exists)."
