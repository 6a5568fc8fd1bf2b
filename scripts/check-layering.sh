#!/usr/bin/env bash
# Enforces the layering of docs/ARCHITECTURE.md: a folder under src/ may include headers
# only from the folders it may use.
set -euo pipefail
cd "$(dirname "$0")/.."

declare -A may_use=(
    [base]=""
    [loop]="base"
    [config]="base"
    [store]="base"
    [policy]="base config"
    [sandbox]="base loop config store"
    [browser]="base loop config store sandbox"
    [tools]="base loop config store policy sandbox browser"
    [agents]="base loop config store policy sandbox browser tools"
    [gateway]="base loop config store policy sandbox browser tools agents"
    [daemon]="base loop config store policy sandbox browser tools agents gateway"
    [cli]="base config policy store sandbox browser tools agents daemon gateway"
)

status=0
for dir in src/*/; do
    layer=$(basename "$dir")
    if [ -z "${may_use[$layer]+x}" ]; then
        echo "check-layering: src/$layer is not in the layering table (docs/ARCHITECTURE.md)" >&2
        status=1
        continue
    fi
    while IFS=: read -r file _ inc; do
        target=$(sed -E 's/.*#include "([a-z]+)\/.*/\1/' <<<"$inc")
        [ "$target" = "$layer" ] && continue
        case " ${may_use[$layer]} " in
            *" $target "*) ;;
            *) echo "check-layering: $file includes $target/, which $layer/ may not use" >&2
               status=1 ;;
        esac
    done < <(grep -rnE '^#include "[a-z]+/' "$dir" || true)
done
[ $status -eq 0 ] && echo "check-layering: ok"
exit $status
