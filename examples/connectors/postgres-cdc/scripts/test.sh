#!/usr/bin/env bash
# The connector's test command (README.md): installs what the tests need
# (Debian packages through apt-get, Python tools into a venv), builds the
# connector and its Python package, and runs ctest and pytest. The tests
# make their own PostgreSQL cluster; nothing needs to be running. Ends with
# one summary line.
#
#   bash scripts/test.sh
#
# CMAKE_PREFIX_PATH=<an installed inlet SDK> builds against it; otherwise
# CMake fetches the SDK at the pinned tag. INLET_SDK_VENV=<a venv with the
# inlet package, nanobind, scikit-build-core, pytest and pathway> is used
# instead of making build/venv.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

packages=(build-essential cmake ninja-build git pkg-config libabsl-dev nlohmann-json3-dev
  libsqlite3-dev libgtest-dev libgmock-dev libpq-dev postgresql-15 python3-venv python3-dev)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  sudo=()
  ((EUID == 0)) || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

venv=${INLET_SDK_VENV:-$PWD/build/venv}
if [[ -z ${INLET_SDK_VENV:-} && ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install -q pytest==8.3.4 nanobind==3.1.0 scikit-build-core==1.1.2 \
    pathway==0.33.0
fi
python=$venv/bin/python

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake --preset dev -DPython_EXECUTABLE="$python" "${launcher[@]}" >/dev/null
cmake --build --preset dev
if ! "$python" -c "import inlet" 2>/dev/null; then
  # The SDK's Python package, from the source CMake fetched.
  "$python" -m pip install -q build/dev/_deps/inlet-src
fi
ctest --test-dir build/dev --output-on-failure >build/ctest.log 2>&1 || { cat build/ctest.log; exit 1; }
cat build/ctest.log >&2
ctest_line=$(grep "tests passed" build/ctest.log)
CMAKE_ARGS="${launcher[*]}" "$python" -m pip install -q --no-build-isolation --no-deps .
POSTGRES_CDC_PROGRAM=$PWD/build/dev/postgres-cdc "$python" -m pytest -p no:cacheprovider -q \
  tests/python >build/pytest.log 2>&1 || { cat build/pytest.log; exit 1; }
cat build/pytest.log >&2
pytest_line=$(tail -n 1 build/pytest.log)
echo "ctest: ${ctest_line}; pytest: ${pytest_line}; $((SECONDS - started)) s in all"
