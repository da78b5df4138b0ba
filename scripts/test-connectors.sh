#!/usr/bin/env bash
# Builds and tests every connector repository under examples/connectors/
# against the SDK this tree's dev preset just built (installed once into
# build/sdk-install), the way a user's machine with the SDK installed would.
# Each connector's own test command is its scripts/test.sh, the one its
# README gives; it installs what it needs, starts its servers and ends with
# its summary line, which this script prints as "connector <name>: <line>".
#
#   bash scripts/test-connectors.sh            # every connector
#   bash scripts/test-connectors.sh kafka      # one
set -euo pipefail
cd "$(dirname "$0")/.."

[[ -d build/dev ]] || { echo "test-connectors: build the dev preset first (build/dev is missing)" >&2; exit 2; }
names=("$@")
if ((${#names[@]} == 0)); then
  for dir in examples/connectors/*/; do [[ -f $dir/scripts/test.sh ]] && names+=("$(basename "$dir")"); done
fi
prefix=$PWD/build/sdk-install
cmake --install build/dev --prefix "$prefix" >/dev/null
logs=build/test-logs
mkdir -p "$logs"
failed=0
for name in "${names[@]}"; do
  script=examples/connectors/$name/scripts/test.sh
  [[ -f $script ]] || { echo "test-connectors: no connector \"$name\" ($script is missing)" >&2; exit 2; }
  echo "== connector $name" >&2
  status=0
  CMAKE_PREFIX_PATH="$prefix" INLET_SDK_VENV="$PWD/.venv" bash "$script" >"$logs/connector-$name.log" 2>&1 ||
    status=$?
  if ((status)); then
    failed=1
    tail -n 60 "$logs/connector-$name.log"
    echo "connector $name: FAILED (exit $status; log $logs/connector-$name.log)"
  else
    echo "connector $name: $(tail -n 1 "$logs/connector-$name.log")"
  fi
done
exit "$failed"
