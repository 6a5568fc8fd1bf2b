#!/bin/sh
# Pincer's benchmark: builds the release preset, then runs bench/bench.py, which prints the
# table of "Performance targets" (design, pincer.md) and writes bench/results/latest.json.
# Arguments go to bench.py, e.g. `scripts/bench.sh --calls 10000`. See bench/README.md.
# Root is needed for the native-backend rows (they skip and say why otherwise).
set -eu
cd "$(dirname "$0")/.."

cmake --preset release >/dev/null
cmake --build --preset release

# Debian's python3, not whatever pyenv puts first on PATH; bench.py uses the stdlib only.
exec /usr/bin/python3 bench/bench.py "$@"
