#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages, Python
# packages, Kafka's jars through Maven), builds the connector, runs its ctest
# (a real Kafka broker started by the CTest fixture) and its pytest (Bytewax,
# the program killed and resumed, a broker restart), and ends with one
# summary line.
#
#   bash scripts/test.sh
#
# The inlet SDK: an installed one on CMAKE_PREFIX_PATH, else the checkout this
# repository sits in (examples/connectors/kafka of the SDK), else the pinned
# release CMakeLists.txt fetches. Python: $INLET_SDK_VENV when set (a venv
# with the inlet package), else .venv here, created with the SDK's package.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS

packages=(build-essential cmake ninja-build pkg-config git libabsl-dev nlohmann-json3-dev
  libsqlite3-dev libgtest-dev libgmock-dev librdkafka-dev kcat python3-venv python3-dev)
command -v java >/dev/null || packages+=(default-jre-headless)
command -v mvn >/dev/null || packages+=(maven)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "test: apt-get install ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

cmake_args=()
sdk_checkout=$(cd ../../.. && pwd)
if [[ -z ${CMAKE_PREFIX_PATH:-} && -f $sdk_checkout/sdk/cmake/inletConfig.cmake.in ]]; then
  cmake_args+=("-DFETCHCONTENT_SOURCE_DIR_INLET=$sdk_checkout")
fi

venv=${INLET_SDK_VENV:-$PWD/.venv}
if [[ ! -x $venv/bin/python ]]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import inlet, bytewax, pytest, nanobind, scikit_build_core" 2>/dev/null; then
  echo "test: pip install into $venv" >&2
  "$venv/bin/python" -m pip install -q --disable-pip-version-check \
    bytewax==0.21.1 pytest==8.3.4 nanobind==3.1.0 scikit-build-core==1.1.2
  "$venv/bin/python" -c "import inlet" 2>/dev/null ||
    "$venv/bin/python" -m pip install -q --disable-pip-version-check "$sdk_checkout"
fi

echo "test: Kafka's jars" >&2
python3 tests/broker/kafka_broker.py resolve >/dev/null

echo "test: build (dev preset)" >&2
cmake --preset dev -DPython_EXECUTABLE="$venv/bin/python" "${cmake_args[@]}" >/dev/null
cmake --build --preset dev
echo "test: ctest" >&2
ctest_status=0
ctest --preset dev 2>&1 | tee build/ctest.log | tail -n 5 || ctest_status=$?
ctest_line=$(grep -E "tests passed|tests failed" build/ctest.log | tail -n 1 | xargs)

echo "test: the Python package into $venv" >&2
CMAKE_ARGS="${cmake_args[*]}" "$venv/bin/python" -m pip install -q --disable-pip-version-check \
  --no-build-isolation --no-deps .
echo "test: pytest" >&2
pytest_status=0
PATH="$PWD/build/dev:$PWD/build/dev/tests:$PATH" "$venv/bin/python" -m pytest tests/python \
  -p no:cacheprovider 2>&1 | tee build/pytest.log | tail -n 5 || pytest_status=$?
pytest_line=$(tail -n 1 build/pytest.log | tr -d '=' | xargs)

echo "ctest: $ctest_line; pytest: $pytest_line; $((SECONDS - started)) s"
((ctest_status == 0)) || exit "$ctest_status"
exit "$pytest_status"
