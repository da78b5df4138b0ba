#!/usr/bin/env bash
# Runs clang-tidy (.clang-tidy) over the SDK's sources and the public headers
# they include, with the dev build's compile commands; fails on any finding.
# Usage: bash scripts/tidy.sh [build-dir]   (default build/dev, configured)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/dev}
[[ -f $build/compile_commands.json ]] || { echo "tidy: no $build/compile_commands.json; configure the dev preset first" >&2; exit 2; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The compile commands are GCC's: flags only GCC knows (-Wno-restrict) are not
# clang-tidy's findings.
run-clang-tidy -p "$build" -quiet -extra-arg=-Wno-unknown-warning-option -j "$(nproc)" "$PWD/sdk/src/" >"$log" 2>&1 || true
findings=$(grep -cE "(warning|error): " "$log" || true)
if [[ $findings -ne 0 ]]; then
  sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E -A3 "(warning|error): "
  echo "clang-tidy: $findings findings" >&2
  exit 1
fi
echo "clang-tidy: no findings in $(grep -c "\"file\": \"[^\"]*/sdk/src/" "$build/compile_commands.json") files"
