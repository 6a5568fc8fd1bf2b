#!/usr/bin/env bash
# Fails when a C file differs from what clang-format (with the repository's .clang-format)
# would write. Fix with: clang-format -i <files>
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
    echo "check-format: clang-format is not installed (scripts/setup.sh installs it)" >&2
    exit 1
fi
mapfile -t files < <(git ls-files -co --exclude-standard -- 'src/*.[ch]' 'tests/*.[ch]' 'fuzz/*.[ch]')
if [ ${#files[@]} -eq 0 ]; then
    echo "check-format: no files" >&2
    exit 1
fi
if ! clang-format --dry-run --Werror "${files[@]}"; then
    echo "check-format: run 'clang-format -i' on the files above" >&2
    exit 1
fi
echo "check-format: ${#files[@]} files formatted"
