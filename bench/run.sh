#!/usr/bin/env bash
# Builds the release preset, runs every benchmark in bench/ (the C++ ones,
# the end-to-end delivery latency through inlet-tcp-lines, instructions per
# item under callgrind, and the Bytewax and Pathway comparisons, against the
# inlet package built from this tree) and writes BENCHMARKS.md at the
# repository root. Re-runnable: each run replaces the previous results.
# Usage: bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install.sh

benches=()
for source in bench/*_bench.cc; do
  benches+=("$(basename "$source" .cc)")
done

cmake --preset release >/dev/null
cmake --build --preset release --target "${benches[@]}" runtime_overhead_driver inlet-tcp-lines \
  inlet-read-files relist_driver inlet inlet_connectors inlet_main inlet_testing

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

# A TCP client's lines to inlet-tcp-lines's piped stdout, default flags.
echo "bench: delivery_latency.py" >&2
.venv/bin/python bench/delivery_latency.py --binary build/release/examples/inlet-tcp-lines \
  --out "$results/delivery.json" >/dev/null

# Instructions per item, counted by callgrind: deterministic under load. inlet::Run with and
# without metrics (the metrics figure beside metrics_overhead_bench) and the plain loop.
echo "bench: callgrind_per_item.py" >&2
.venv/bin/python bench/callgrind_per_item.py --binary build/release/bench/runtime_overhead_driver \
  --out "$results/callgrind.json" >/dev/null

# Bytewax's cost for the shapes of idle_sources_bench.
echo "bench: bytewax_idle.py" >&2
.venv/bin/python bench/bytewax_idle.py --out "$results/bytewax_idle.json"

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
  --template-results "$results/template.json" --delivery-results "$results/delivery.json" \
  --callgrind-results "$results/callgrind.json" \
  --bytewax-idle-results "$results/bytewax_idle.json" --out BENCHMARKS.md "$results"/*_bench.json

# Many partitions and one big file, side by side with Bytewax (the inlet
# package installed above); replaces its own section of BENCHMARKS.md.
echo "bench: partitions_bench.py" >&2
.venv/bin/python bench/partitions_bench.py --build-dir build/release --out BENCHMARKS.md
