#!/usr/bin/env bash
# The main job: installs what is missing, builds the SDK and installs it under
# build/main/sdk, generates a connector repository from the template with the
# default answers (build/main/my-connector), builds it against that SDK and
# runs it on the embedded runtime over its sample data, printing every line it
# read as JSON on stdout and a summary on stderr.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

main=build/main
echo "main: build and install the SDK into $main/sdk" >&2
cmake --preset dev >/dev/null
cmake --build --preset dev --target inlet inlet_connectors inlet_main inlet_testing >/dev/null
cmake --install build/dev --prefix "$main/sdk" >/dev/null

echo "main: generate $main/my-connector from the template (default answers)" >&2
rm -rf "$main/my-connector"
# The SDK is the one installed above; the URL only names where it comes from.
.venv/bin/cookiecutter --no-input . --output-dir "$main" inlet_git_url="file://$PWD" >/dev/null

echo "main: build my-connector against the installed SDK" >&2
cd "$main/my-connector"
cmake --preset dev -DCMAKE_PREFIX_PATH="$PWD/../sdk" -DFETCHCONTENT_FULLY_DISCONNECTED=ON >/dev/null
cmake --build --preset dev --target my-connector >/dev/null

echo "main: run it on the embedded runtime over data/*.txt" >&2
exec build/dev/my-connector --workers=2 data/*.txt
