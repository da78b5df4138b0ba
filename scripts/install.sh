#!/usr/bin/env bash
# Installs everything inlet needs on a fresh Debian machine: the C++ toolchain
# and libraries through apt-get, the Python tools into .venv through pip.
# Idempotent: a second run only checks that everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  build-essential cmake ninja-build pkg-config git ccache debootstrap
  libabsl-dev nlohmann-json3-dev libgtest-dev libgmock-dev
  libsqlite3-dev libbenchmark-dev libsimdjson-dev libcpp-httplib-dev prometheus
  python3-venv python3-dev valgrind
  clang-14 libclang-rt-14-dev clang-tidy
  librdkafka-dev kcat
  libpq-dev postgresql-15  # examples/connectors/postgres-cdc: libpq and a server for its tests
)

missing=()
for package in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    missing+=("$package")
done
if ((${#missing[@]})); then
  echo "install: apt-get install ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
requirements=requirements-dev.txt
stamp=.venv/.requirements.sha256
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ ! -x .venv/bin/python || ! -f $stamp || $(cat "$stamp") != "$wanted" ]]; then
  echo "install: pip install -r $requirements into .venv" >&2
  [[ -x .venv/bin/python ]] || "$python" -m venv .venv
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" >"$stamp"
fi

# actionlint is a Go program; PyPI's wrapper downloads a binary at build time,
# so it is built from the Go module proxy with the machine's Go toolchain.
actionlint_version=v1.7.12
if [[ ! -x .venv/bin/actionlint ]] || ! .venv/bin/actionlint -version | grep -q "${actionlint_version#v}"; then
  command -v go >/dev/null || { echo "install: actionlint needs a Go toolchain (go) on PATH" >&2; exit 1; }
  echo "install: go install actionlint@$actionlint_version" >&2
  GOBIN="$PWD/.venv/bin" go install "github.com/rhysd/actionlint/cmd/actionlint@$actionlint_version"
fi
