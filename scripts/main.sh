#!/usr/bin/env bash
# The main job: installs what is missing, builds the SDK and its example
# connector program, and runs the built-in directory input over the sample
# files on the embedded runtime, printing every line it read as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target inlet-read-files >/dev/null
exec build/dev/examples/inlet-read-files --workers=2 "examples/sample/*.txt"
