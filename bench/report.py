"""Writes BENCHMARKS.md from the JSON that bench/run.sh collects.

Reads Google Benchmark JSON files run with repetitions and aggregates only,
takes the median of every benchmark, and compares inlet::Run with the plain
polling loop over the same source (runtime_overhead_bench) and the CPU an
idle run uses (idle_cost_bench) against the targets below.
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import subprocess
import sys

# inlet::Run must keep this fraction of the plain loop's throughput at this
# batch size, and an idle run must stay under this share of one core.
TARGET_BATCH = 1024
TARGET_RATIO = 0.9
TARGET_IDLE_PERCENT = 1.0

COMMAND = "bash bench/run.sh"


def load_medians(paths):
    """Maps (benchmark name, {arg: value}) to the median run's fields."""
    medians = {}
    context = None
    for path in paths:
        data = json.loads(pathlib.Path(path).read_text())
        context = context or data.get("context", {})
        for run in data.get("benchmarks", []):
            if run.get("error_occurred"):
                sys.exit(f"report: {run['name']} failed: {run.get('error_message')}")
            if run.get("run_type") != "aggregate" or run.get("aggregate_name") != "median":
                continue
            name, *parts = run["run_name"].split("/")
            args = {}
            for part in parts:
                key, sep, value = part.partition(":")
                if sep:
                    args[key] = int(value)
            medians[(name, tuple(sorted(args.items())))] = run
    return medians, context or {}


def lookup(medians, name, **args):
    run = medians.get((name, tuple(sorted(args.items()))))
    if run is None:
        sys.exit(f"report: no median for {name} {args}; did every benchmark run?")
    return run


def cpu_model():
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def compiler(build_dir):
    cache = pathlib.Path(build_dir) / "CMakeCache.txt"
    found = {}
    if cache.exists():
        for line in cache.read_text().splitlines():
            match = re.match(r"(CMAKE_CXX_COMPILER|CMAKE_BUILD_TYPE):\w+=(.*)", line)
            if match:
                found[match.group(1)] = match.group(2)
    path = found.get("CMAKE_CXX_COMPILER", "c++")
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True,
                                 check=True).stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        version = path
    return version, found.get("CMAKE_BUILD_TYPE", "unknown")


def rate(items_per_second):
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if items_per_second >= scale:
            return f"{items_per_second / scale:.2f} {suffix}"
    return f"{items_per_second:.0f}"


def yes_no(met):
    return "yes" if met else "**no**"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="Google Benchmark JSON files")
    parser.add_argument("--build-dir", default="build/release")
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--load-before", default="unknown",
                        help="the 1, 5 and 15 minute load averages when the run started")
    options = parser.parse_args()

    medians, context = load_medians(options.results)
    overhead = []
    pairs = sorted((dict(args)["batch"], dict(args)["workers"])
                   for (name, args) in medians if name == "BM_Runtime")
    for batch, workers in pairs:
        runtime = lookup(medians, "BM_Runtime", batch=batch, workers=workers)["items_per_second"]
        plain = lookup(medians, "BM_PlainLoop", batch=batch, workers=workers)["items_per_second"]
        overhead.append((batch, workers, plain, runtime, runtime / plain))
    idle = []
    for (name, args) in sorted(medians):
        if name == "BM_IdleRun":
            run = medians[(name, args)]
            idle.append((dict(args)["workers"], run["cpu_percent_of_one_core"], run["polls"],
                         run["partitions"]))
    if not overhead or not idle:
        sys.exit("report: the results hold no runtime_overhead_bench or no idle_cost_bench runs")

    version, build_type = compiler(options.build_dir)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{COMMAND}`, which builds the `release` preset, runs every",
        "`bench/*_bench.cc` three times with Google Benchmark and reports medians.",
        "",
        "| | |",
        "|---|---|",
        f"| date | {now} |",
        f"| CPU | {cpu_model()} |",
        f"| cores (nproc) | {len(os.sched_getaffinity(0))} |",
        f"| compiler | {version} |",
        f"| build type | {build_type} |",
        f"| load average at start (1, 5, 15 min) | {options.load_before} |",
        f"| Google Benchmark library | {context.get('library_build_type', 'unknown')} build "
        "(as the distribution packages it) |",
        "",
        "## Targets",
        "",
        "| target | measured | met |",
        "|---|---|---|",
    ]
    for batch, workers, _, _, ratio in overhead:
        if batch == TARGET_BATCH:
            lines.append(f"| batch {batch}, {workers} worker(s): inlet::Run >= {TARGET_RATIO} of "
                         f"the plain loop | {ratio:.2f} | {yes_no(ratio >= TARGET_RATIO)} |")
    for workers, percent, _, _ in idle:
        lines.append(f"| idle, {workers} worker(s): < {TARGET_IDLE_PERCENT:g}% of one core | "
                     f"{percent:.3f}% | {yes_no(percent < TARGET_IDLE_PERCENT)} |")
    lines += [
        "",
        "## Runtime overhead (`bench/runtime_overhead_bench.cc`)",
        "",
        "Four in-memory partitions hand out integers in batches into a `CountingSink`,",
        "either through `inlet::Run` or through a plain loop that polls the same sources",
        "round-robin on the same number of threads with the same partition split.",
        "",
        "| batch | workers | plain loop (items/s) | inlet::Run (items/s) | inlet::Run / plain |",
        "|---:|---:|---:|---:|---:|",
    ]
    for batch, workers, plain, runtime, ratio in overhead:
        lines.append(f"| {batch} | {workers} | {rate(plain)} | {rate(runtime)} | {ratio:.2f} |")
    lines += [
        "",
        "## Idle cost (`bench/idle_cost_bench.cc`)",
        "",
        "Partitions that never have data and ask through `NextAwake` to be polled again",
        "in one second; the run is stopped after five seconds. CPU is the whole",
        "process's user plus system time over the run, divided by its wall time.",
        "",
        "| workers | partitions | CPU (% of one core) | polls in the run |",
        "|---:|---:|---:|---:|",
    ]
    for workers, percent, polls, partitions in idle:
        lines.append(f"| {workers} | {partitions:.0f} | {percent:.3f}% | {polls:.0f} |")
    lines.append("")

    pathlib.Path(options.out).write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
