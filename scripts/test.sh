#!/usr/bin/env bash
# Runs every test of inlet on a fresh machine: installs what is missing, then
# builds and tests the SDK with warnings as errors (dev), under AddressSanitizer
# + UndefinedBehaviorSanitizer (asan) and ThreadSanitizer (tsan), and runs the
# pytest suites (package install, example program, hygiene checks, and the
# inlet Python package, built from this tree, under the real Bytewax and
# Pathway runtimes), with clang-tidy over the SDK and a brief run of every
# fuzz target between them.
# Ends with the summary line of every ctest run and of pytest.
# INLET_PRESETS limits the ctest runs (default "dev asan tsan"); the GitHub
# workflow runs the sanitizer presets as parallel jobs of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh

logs=build/test-logs
mkdir -p "$logs"
summaries=()
for preset in ${INLET_PRESETS:-dev asan tsan}; do
  echo "== $preset: configure, build, ctest" >&2
  cmake --preset "$preset" -DINLET_BUILD_BENCHMARKS=OFF >"$logs/$preset-configure.log"
  cmake --build --preset "$preset" >"$logs/$preset-build.log" ||
    { tail -n 60 "$logs/$preset-build.log"; exit 1; }
  status=0
  ctest --preset "$preset" 2>&1 | tee "$logs/$preset-ctest.log" | grep -E "tests passed|Failed|\*\*\*" || status=1
  [[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
  summaries+=("ctest ($preset)" "$(grep -E 'tests passed' "$logs/$preset-ctest.log" || echo 'ctest did not finish')")
  if ((status)); then
    grep -B40 -E "\*\*\*Failed|Exception|Timeout" "$logs/$preset-ctest.log" | tail -n 120
    printf '%s\n' "${summaries[@]}"
    exit 1
  fi
done

# Static analysis over the dev build's compile commands, and each fuzz target
# briefly over its seed corpus with a fixed seed, so that a suite run is
# repeatable (scripts/fuzz.sh explores with a new seed each run, FUZZ_SECONDS
# for longer).
if [[ " ${INLET_PRESETS:-dev asan tsan} " == *" dev "* ]]; then
  echo "== clang-tidy" >&2
  bash scripts/tidy.sh build/dev | tee "$logs/tidy.log" | tail -n 20 ||
    { printf '%s\n' "${summaries[@]}"; exit 1; }
  summaries+=("clang-tidy" "$(tail -n 1 "$logs/tidy.log")")
fi
echo "== fuzz" >&2
FUZZ_SEED=1 bash scripts/fuzz.sh >"$logs/fuzz.log" 2>&1 ||
  { tail -n 40 "$logs/fuzz.log"; printf '%s\n' "${summaries[@]}"; exit 1; }
summaries+=("fuzz" "$(tail -n 1 "$logs/fuzz.log")")

if [[ " ${INLET_PRESETS:-dev asan tsan} " == *" dev "* ]] && compgen -G "examples/connectors/*/scripts/test.sh" >/dev/null; then
  echo "== connectors" >&2
  bash scripts/test-connectors.sh | tee "$logs/connectors.log" ||
    { printf '%s\n' "${summaries[@]}"; exit 1; }
  while IFS= read -r line; do summaries+=("$line"); done < <(grep '^connector ' "$logs/connectors.log")
fi

echo "== pytest" >&2
pytest_status=0
.venv/bin/python -m pytest tests/python -p no:cacheprovider 2>&1 | tee "$logs/pytest.log" ||
  pytest_status=$?

echo
echo "== summary"
printf '%s\n' "${summaries[@]}"
echo "pytest"
tail -n 1 "$logs/pytest.log"
exit "$pytest_status"
