#!/usr/bin/env bash
# Regenerates the key reference in docs/config.md from the schema table
# (`pincer config schema --markdown`), between the GENERATED markers.
#
#   scripts/gen-config-docs.sh PINCER_BINARY           rewrite docs/config.md
#   scripts/gen-config-docs.sh --check PINCER_BINARY   fail if docs/config.md is stale
set -euo pipefail
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
bin="${1:?usage: gen-config-docs.sh [--check] PINCER_BINARY}"

doc=docs/config.md
begin='<!-- BEGIN GENERATED: pincer config schema --markdown -->'
end='<!-- END GENERATED -->'
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    sed "/^$begin\$/q" "$doc"
    "$bin" config schema --markdown
    echo
    sed -n "/^$end\$/,\$p" "$doc"
} >"$tmp"

if [ $check -eq 1 ]; then
    if ! diff -u "$doc" "$tmp" >/dev/null; then
        diff -u "$doc" "$tmp" | head -40 >&2
        echo "gen-config-docs: docs/config.md is stale; run scripts/gen-config-docs.sh $bin" >&2
        exit 1
    fi
    echo "gen-config-docs: docs/config.md is current"
else
    cp "$tmp" "$doc"
fi
