#!/usr/bin/env bash
# Builds the release preset, runs every benchmark in bench/ (the C++ ones and
# bytewax_bench.py, against the inlet package built from this tree) and writes
# BENCHMARKS.md at the repository root. Re-runnable: each run replaces the
# previous results. Usage: bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

benches=()
for source in bench/*_bench.cc; do
  benches+=("$(basename "$source" .cc)")
done

cmake --preset release >/dev/null
cmake --build --preset release --target "${benches[@]}"

# Other processes skew the results; the report records the load they ran under.
load_before=$(python3 -c 'import os; print("%.2f %.2f %.2f" % os.getloadavg())')
results=build/release/bench-results
rm -rf "$results"
mkdir -p "$results"
# recovery_bench keeps its stores under TMPDIR: a commit costs mostly its
# fsync, so they go on the file system of the build tree, which the report names.
scratch=build/release/bench-scratch
rm -rf "$scratch"
mkdir -p "$scratch"
store_fs=$(df --output=fstype,source "$scratch" | tail -n 1 | awk '{print $1 " (" $2 ")"}')
for bench in "${benches[@]}"; do
  echo "bench: $bench" >&2
  TMPDIR="$PWD/$scratch" "build/release/bench/$bench" \
    --benchmark_repetitions=3 \
    --benchmark_report_aggregates_only=true \
    --benchmark_out_format=json \
    --benchmark_out="$results/$bench.json"
done

rm -rf "$scratch"

echo "bench: pathway_subject.py" >&2
.venv/bin/python bench/pathway_subject.py --out "$results/pathway_subject.json" >/dev/null

# The Bytewax comparison runs the inlet package installed from this tree.
echo "bench: bytewax_bench.py" >&2
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-build-isolation \
  --no-deps .
.venv/bin/python bench/bytewax_bench.py --out "$results/bytewax.json"

# The template: cookiecutter to a green ctest, against the SDK installed from
# the release build.
echo "bench: template_bench.py" >&2
cmake --install build/release --prefix "$results/sdk" >/dev/null
.venv/bin/python bench/template_bench.py --sdk-prefix "$results/sdk" --out "$results/template.json"

python3 bench/report.py --build-dir build/release --load-before "$load_before" \
  --store-fs "$store_fs" --pathway "$results/pathway_subject.json" \
  --bytewax-results "$results/bytewax.json" \
  --template-results "$results/template.json" --out BENCHMARKS.md "$results"/*_bench.json
