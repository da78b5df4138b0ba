"""Writes BENCHMARKS.md from the JSON that bench/run.sh collects.

Reads Google Benchmark JSON files run with repetitions and aggregates only,
takes the median of every benchmark, and compares inlet::Run with the plain
polling loop over the same source (runtime_overhead_bench), the CPU an idle
run uses (idle_cost_bench), and a run with a recovery store with one without,
the time to resume and the cost of a commit (recovery_bench) against the
targets below. With the JSON of the scripts bench/run.sh runs besides
(delivery_latency.py, callgrind_per_item.py, bytewax_idle.py, and the Bytewax,
Pathway and template benchmarks) it adds their sections and targets.
"""

import argparse
import datetime
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys

# inlet::Run must keep this fraction of the plain loop's throughput at this
# batch size, and an idle run must stay under this share of one core.
TARGET_BATCH = 1024
TARGET_RATIO = 0.9
TARGET_IDLE_PERCENT = 1.0
# With a recovery store committing every second, inlet::Run must keep this
# fraction of its throughput without one, and a run must resume 1,000
# partitions in less than this.
TARGET_RECOVERY_RATIO = 0.98
TARGET_RESUME_SECONDS = 1.0
# 16-byte messages through the subject adapter: at least this fraction of a
# plain bounded handoff between two threads, and at least this rate.
TARGET_SUBJECT_RATIO = 0.5
TARGET_SUBJECT_RATE = 10e6
# From a subject's `Commit` to the sink's `Write`, one message at a time.
TARGET_COMMIT_P50_US = 50.0
TARGET_COMMIT_P99_US = 1000.0

COMMAND = "bash bench/run.sh"


def load_medians(paths, aggregate="median"):
    """Maps (benchmark name, {arg: value}) to the median run's fields (or
    those of another aggregate, such as "stddev")."""
    medians = {}
    context = None
    for path in paths:
        data = json.loads(pathlib.Path(path).read_text())
        context = context or data.get("context", {})
        for run in data.get("benchmarks", []):
            if run.get("error_occurred"):
                sys.exit(f"report: {run['name']} failed: {run.get('error_message')}")
            if run.get("run_type") != "aggregate" or run.get("aggregate_name") != aggregate:
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
    try:  # Linux
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    try:  # macOS
        return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def usable_cores():
    """The cores this process may run on (macOS has no affinity masks)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count()


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


def seconds(run):
    """A run's wall time per iteration, in seconds."""
    scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[run["time_unit"]]
    return run["real_time"] * scale


def runs_of(medians, name):
    """The median runs of benchmark `name`, each with its arguments, sorted."""
    return [(dict(args), medians[(n, args)]) for (n, args) in sorted(medians) if n == name]


def yes_no(met):
    return "yes" if met else "**no**"


def subject_section(medians, pathway):
    """The subject adapter's rows for the targets table, and its section."""
    strings = lookup(medians, "BM_Subject<std::string>")["items_per_second"]
    messages = lookup(medians, "BM_Subject<inlet::Message>")["items_per_second"]
    plain = lookup(medians, "BM_PlainHandoff")["items_per_second"]
    latency = lookup(medians, "BM_CommitLatency", iterations=1)
    ratio = strings / plain
    targets = [
        f"| subject, 16-byte messages: >= {TARGET_SUBJECT_RATIO} of a plain handoff | "
        f"{ratio:.2f} | {yes_no(ratio >= TARGET_SUBJECT_RATIO)} |",
        f"| subject, 16-byte messages: >= {rate(TARGET_SUBJECT_RATE)}/s | {rate(strings)}/s | "
        f"{yes_no(strings >= TARGET_SUBJECT_RATE)} |",
        f"| subject, commit to sink: p50 < {TARGET_COMMIT_P50_US:g} us | "
        f"{latency['p50_us']:.0f} us | {yes_no(latency['p50_us'] < TARGET_COMMIT_P50_US)} |",
        f"| subject, commit to sink: p99 < {TARGET_COMMIT_P99_US:g} us | "
        f"{latency['p99_us']:.0f} us | {yes_no(latency['p99_us'] < TARGET_COMMIT_P99_US)} |",
    ]
    lines = [
        "",
        "## Subject adapter (`bench/subject_bench.cc`, `bench/pathway_subject.py`)",
        "",
        "A `ConnectorSubject` pushes 16-byte strings (`NextStr`, raw format, a `Commit` every",
        "1,024) through `SubjectInput` into a `CountingSink` on one worker, as `std::string`",
        "items and as `inlet::Message` items (a JSON string value each). The plain handoff",
        "moves the same strings, each an owned `std::string`, from a producer thread to a",
        "consumer thread through a bounded queue of the same capacity (65,536) whose consumer",
        "takes everything queued at once.",
        "",
        "| path | messages/s | / plain handoff |",
        "|---|---:|---:|",
        f"| plain bounded handoff | {rate(plain)} | 1.00 |",
        f"| `SubjectInput<std::string>` | {rate(strings)} | {strings / plain:.2f} |",
        f"| `SubjectInput<inlet::Message>` | {rate(messages)} | {messages / plain:.2f} |",
        "",
        "Latency from `Commit` to the sink's `Write`, one message at a time, the worker",
        f"otherwise idle ({latency['samples']:,.0f} messages): "
        f"p50 {latency['p50_us']:.0f} us, p99 {latency['p99_us']:.0f} us. An empty poll",
        "makes a partition wait 1 ms before the next (the runtime's idle cooldown), which",
        "bounds the median.",
    ]
    if pathway:
        lines += [
            "",
            f"Pathway {pathway['pathway_version']}: its own Python `ConnectorSubject` feeding",
            f"`pw.io.python.read` with the same messages ({pathway['messages']:,}, `next(data=...)`",
            "with a `str` schema, a `commit()` every 1,024), counted by a `reduce`, timed around",
            "`pw.run`, median of three runs, measured in the same `bench/run.sh` run.",
            "",
            "| path | messages/s | inlet / Pathway |",
            "|---|---:|---:|",
            f"| Pathway `ConnectorSubject` | {rate(pathway['messages_per_second'])} | |",
            f"| `SubjectInput<std::string>` | {rate(strings)} | "
            f"{strings / pathway['messages_per_second']:.0f}x |",
            f"| `SubjectInput<inlet::Message>` | {rate(messages)} | "
            f"{messages / pathway['messages_per_second']:.0f}x |",
        ]
    return targets, lines


# A line sent to inlet-tcp-lines (default flags) must be on its piped stdout
# within these, at the median and the 99th percentile.
TARGET_DELIVERY_P50_MS = 1.0
TARGET_DELIVERY_P99_MS = 10.0


def delivery_section(path):
    """The target rows and the section of bench/delivery_latency.py's JSON."""
    if not path:
        return [], []
    data = json.loads(pathlib.Path(path).read_text())
    context, runs = data["context"], data["runs"]
    flags = " ".join(context["program_flags"]) or "none (the defaults: 10 s epochs)"
    targets = [
        f"| delivery, TCP line to piped stdout: p50 < {TARGET_DELIVERY_P50_MS:g} ms | "
        f"{data['p50_ms']:.3f} ms | {yes_no(data['p50_ms'] < TARGET_DELIVERY_P50_MS)} |",
        f"| delivery, TCP line to piped stdout: p99 < {TARGET_DELIVERY_P99_MS:g} ms | "
        f"{data['p99_ms']:.3f} ms | {yes_no(data['p99_ms'] < TARGET_DELIVERY_P99_MS)} |",
    ]
    lines = [
        "",
        "## Delivery latency (`bench/delivery_latency.py`)",
        "",
        "End to end through a real program: a TCP client sends numbered lines to",
        "`inlet-tcp-lines 127.0.0.1:0`, whose stdout is a pipe read by a thread of the",
        f"benchmark. {context['lines']:,} lines per run, one every "
        f"{context['gap_ms'][0]:g}-{context['gap_ms'][1]:g} ms, with a burst of",
        f"{context['burst_size']} back-to-back lines every {context['burst_every']} "
        f"(about {context['send_seconds']:.1f} s of sending); program flags: {flags}.",
        "A line's latency runs from just before its `sendall` to the reader having it. Every",
        "line must arrive exactly once. The sink writes the pipe when its stdio buffer (a",
        "few KiB) fills or when the runtime flushes it. Each run is a fresh process; the",
        "targets use the median over the runs.",
        "",
        "| run | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for number, run in enumerate(runs, 1):
        lines.append(f"| {number} | {run['p50_ms']:.3f} | {run['p90_ms']:.3f} | "
                     f"{run['p99_ms']:.3f} | {run['max_ms']:.3f} |")
    return targets, lines


# 100 idle subjects, and 100 followed files nobody writes, each under this
# share of one core.
TARGET_IDLE_SOURCES_PERCENT = 0.1


def idle_sources_section(medians, bytewax_path):
    """The target rows and the section of idle_sources_bench's runs, with
    bench/bytewax_idle.py's when given."""
    shapes = [("subjects", "BM_IdleSubjects", "100 idle subjects"),
              ("files", "BM_IdleFollowedFiles", "100 followed files")]
    if not any(name == "BM_IdleSubjects" for name, _ in medians):
        return [], []
    bytewax = {}
    context = None
    bytewax_latency = None
    if bytewax_path:
        data = json.loads(pathlib.Path(bytewax_path).read_text())
        context = data["context"]
        bytewax = {r["shape"]: r["median_cpu_percent_of_one_core"] for r in data["results"]}
        bytewax_latency = data.get("follow_latency")
    targets = []
    rows = []
    for shape, name, label in shapes:
        percent = lookup(medians, name, iterations=1)["cpu_percent_of_one_core"]
        targets.append(f"| {label}: < {TARGET_IDLE_SOURCES_PERCENT:g}% of one core | "
                       f"{percent:.3f}% | {yes_no(percent < TARGET_IDLE_SOURCES_PERCENT)} |")
        theirs = bytewax.get(shape)
        rows.append(f"| {label} | {percent:.3f}% | "
                    + (f"{theirs:.3f}% |" if theirs is not None else "not measured |"))
    lines = [
        "",
        "## Idle real sources (`bench/idle_sources_bench.cc`, `bench/bytewax_idle.py`)",
        "",
        "What sources with nothing to deliver cost, on one worker: 100 subjects whose `Run`",
        "blocks until the stop (a push source waiting on its client), through `SubjectInput`;",
        "100 files of one line each followed for appends nobody makes (`FileInput` with",
        "`follow`, default options: woken by the OS's file notification where there is one,",
        "else polled every 100 ms). CPU is the whole process's (every thread)",
        "over a 5 s window that starts 1 s after the run, as a share of one core; median of",
        "three runs.",
    ]
    if context:
        lines += [
            "",
            f"Bytewax {context['bytewax']}, the same shapes written as a Bytewax user would, "
            "in the same",
            "run: 100 partitions of a source each fed by an idle producer thread through a",
            "queue, `next_awake` left to Bytewax (1 ms after an empty batch); 100 partitions",
            "that read a file's complete lines and, finding none, ask through `next_awake`",
            f"to be polled again in {context['follow_interval_ms']:g} ms (Bytewax's "
            "`FileSource` does not follow).",
        ]
    lines += [
        "",
        "| shape | inlet (% of one core) | Bytewax (% of one core) |",
        "|---|---:|---:|",
        *rows,
    ]
    if any(name == "BM_FollowedFileAppendLatency" for name, _ in medians):
        latency = lookup(medians, "BM_FollowedFileAppendLatency", iterations=1)
        theirs = (f"{bytewax_latency['p50_ms']:.2f} | {bytewax_latency['p99_ms']:.2f}"
                  if bytewax_latency else "not measured | not measured")
        lines += [
            "",
            "A line appended to one of the 100 followed files, one every 10 ms "
            f"({latency['appends']:.0f} lines), from the write to the",
            "sink, median of three runs. inlet's partitions wait for the file's change",
            "notification (inotify here; every 50 poll intervals, 5 s, they look anyway);",
            "Bytewax's poll every 100 ms.",
            "",
            "| append to sink | p50 (ms) | p99 (ms) |",
            "|---|---:|---:|",
            f"| inlet | {latency['p50_ms']:.2f} | {latency['p99_ms']:.2f} |",
            f"| Bytewax | {theirs} |",
        ]
    return targets, lines


# inlet::Run's instructions per item at most this multiple of the plain
# loop's at TARGET_BATCH.
TARGET_IR_RATIO = 1.05


# Collecting metrics must keep this fraction of inlet::Run's throughput (and
# of its instructions per item) at each of these batch sizes.
TARGET_METRICS_RATIO = 0.98
METRICS_BATCHES = (64, 1024)


def metrics_section(medians, stddevs, callgrind_path):
    """The target rows and the section of metrics_overhead_bench (and of the
    metrics-on counts of callgrind_per_item.py)."""
    runs = runs_of(medians, "BM_MetricsOverhead")
    if not runs:
        return [], []
    spread = {args["batch"]: stddevs[("BM_MetricsOverhead", tuple(sorted(args.items())))]
              ["on_over_off"] for args, _ in runs}
    callgrind = {}
    if callgrind_path:
        for row in json.loads(pathlib.Path(callgrind_path).read_text())["rows"]:
            if "metrics_ratio" in row:
                callgrind[row["batch"]] = row
    targets = []
    for args, run in runs:
        ratio = run["on_over_off"]
        targets.append(f"| batch {args['batch']}: metrics on >= {TARGET_METRICS_RATIO} of the "
                       f"throughput with them off | {ratio:.3f} | "
                       f"{yes_no(ratio >= TARGET_METRICS_RATIO)} |")
        if args["batch"] in callgrind:
            ir_ratio = callgrind[args["batch"]]["metrics_ratio"]
            targets.append(f"| batch {args['batch']}: metrics on >= {TARGET_METRICS_RATIO} as "
                           f"instructions per item (off / on) | {ir_ratio:.3f} | "
                           f"{yes_no(ir_ratio >= TARGET_METRICS_RATIO)} |")
    lines = [
        "",
        "## Metrics on against off (`bench/metrics_overhead_bench.cc`)",
        "",
        "Four in-memory partitions into a `CountingSink` on one worker, through `inlet::Run`",
        "with `collect_metrics` (every `NextBatch` timed into a histogram, the worker handing",
        "its counters over every 100 ms to an `on_metrics` that keeps a copy, as",
        "`RunMain --metrics-address` does, ten times as often as its default) and without.",
        "The two runs alternate within each iteration and swap order between iterations;",
        "the spread is the standard deviation of on / off over the repetitions: a gap",
        "smaller than it is noise, which the instruction counts do not have.",
        "Instructions per item are callgrind's (`bench/callgrind_per_item.py`, mode",
        "`inlet-metrics`, handing over every second as `RunMain` does: callgrind slows the",
        "clock that times the handovers about 50-fold), counted as in the section below.",
        "",
        "| batch | off (items/s) | on (items/s) | on / off | spread | off Ir/item | on Ir/item | "
        "off / on (Ir) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for args, run in runs:
        row = callgrind.get(args["batch"])
        ir = (f"{row['inlet']['ir_per_item']:.2f} | {row['inlet-metrics']['ir_per_item']:.2f} | "
              f"{row['metrics_ratio']:.3f}") if row else "n/a | n/a | n/a"
        lines.append(f"| {args['batch']} | {rate(run['items_per_second_off'])} | "
                     f"{rate(run['items_per_second_on'])} | {run['on_over_off']:.3f} | "
                     f"{spread[args['batch']]:.3f} | {ir} |")
    return targets, lines


def callgrind_section(path):
    """The target row and the section of bench/callgrind_per_item.py's JSON."""
    if not path:
        return [], []
    data = json.loads(pathlib.Path(path).read_text())
    rows = data["rows"]
    targets = [
        f"| batch {row['batch']}: inlet::Run <= {TARGET_IR_RATIO}x the plain loop's "
        f"instructions per item | {row['ratio']:.3f} | {yes_no(row['ratio'] <= TARGET_IR_RATIO)} |"
        for row in rows if row["batch"] == TARGET_BATCH
    ]
    lines = [
        "",
        "## Instructions per item (`bench/callgrind_per_item.py`)",
        "",
        "The runtime overhead benchmark's two paths (four in-memory partitions into a",
        f"`CountingSink`, {data['context']['workers']} worker) run once each by "
        "`bench/runtime_overhead_driver` under",
        f"`valgrind --tool=callgrind` ({data['context']['valgrind']}), at two item counts "
        "N1 < N2; instructions",
        "per item = (Ir(N2) - Ir(N1)) / (N2 - N1), which cancels the fixed startup cost.",
        "At batch 1 an item is a poll. The plain loop's counts repeat exactly; inlet::Run's",
        "vary between runs, because Abseil's clock, read around every poll, recalibrates",
        "against the kernel every few milliseconds of wall time, which callgrind and the",
        f"machine's load stretch: each count is the minimum of {data['context']['repetitions']} "
        "runs, and the spread is",
        "the range of per-item figures the runs give. The column without the clock leaves",
        "out the instructions inside the clock read (`absl::GetCurrentTimeNanos`, its",
        "recalibration inlined, and `clock_gettime`): it repeats whatever the load, so it",
        "is the figure to compare two builds by.",
        "",
        "| batch | N1, N2 | inlet::Run (Ir/item) | spread | inlet::Run without the clock | "
        "plain loop (Ir/item) | inlet / plain |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        bare = row["inlet"].get("ir_per_item_without_clock")
        lines.append(f"| {row['batch']} | {row['items'][0]:,}, {row['items'][1]:,} | "
                     f"{row['inlet']['ir_per_item']:.2f} | {row['inlet']['spread_per_item']:.2f} | "
                     + (f"{bare:.2f} | " if bare is not None else "not measured | ")
                     + f"{row['plain']['ir_per_item']:.2f} | {row['ratio']:.3f} |")
    for row in rows:
        if row["batch"] == 1:
            added = row["inlet"]["ir_per_item"] - row["plain"]["ir_per_item"]
            lines += ["", f"Per poll at batch 1, the runtime adds {added:.0f} instructions "
                      "to the plain loop's "
                      f"{row['plain']['ir_per_item']:.0f}."]
    return targets, lines


def connector_sections():
    """The figures of each connector repository under examples/connectors/.

    A connector measures itself against its own server (its BENCHMARKS.md
    says with which command); they are copied in here, one heading level
    down, so that this file keeps every figure of the project in one place.
    """
    lines = []
    root = pathlib.Path(__file__).resolve().parent.parent / "examples" / "connectors"
    for figures in sorted(root.glob("*/BENCHMARKS.md")):
        text = figures.read_text().rstrip("\n").splitlines()
        relative = figures.relative_to(root.parent.parent)
        lines += ["", f"<!-- copied from {relative} by bench/report.py -->"]
        in_code = False
        for line in text:
            if line.startswith("```"):
                in_code = not in_code
            lines.append("#" + line if line.startswith("#") and not in_code else line)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", help="Google Benchmark JSON files")
    parser.add_argument("--build-dir", default="build/release")
    parser.add_argument("--out", default="BENCHMARKS.md")
    parser.add_argument("--load-before", default="unknown",
                        help="the 1, 5 and 15 minute load averages when the run started")
    parser.add_argument("--store-fs", default="unknown",
                        help="the file system the recovery benchmarks' stores were on")
    parser.add_argument("--pathway", help="the JSON that bench/pathway_subject.py wrote")
    parser.add_argument("--bytewax-results", help="the JSON bench/bytewax_bench.py wrote")
    parser.add_argument("--template-results", help="the JSON bench/template_bench.py wrote")
    parser.add_argument("--delivery-results", help="the JSON bench/delivery_latency.py wrote")
    parser.add_argument("--bytewax-idle-results", help="the JSON bench/bytewax_idle.py wrote")
    parser.add_argument("--callgrind-results", help="the JSON bench/callgrind_per_item.py wrote")
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
    stddevs, _ = load_medians(options.results, aggregate="stddev")
    throughput = [(args["workers"], run["items_per_second_without_recovery"],
                   run["items_per_second_with_recovery"], run["with_over_without"],
                   stddevs[("BM_RecoveryThroughput", tuple(sorted(args.items())))]
                   ["with_over_without"])
                  for args, run in runs_of(medians, "BM_RecoveryThroughput")]
    resume = [(args["workers"], run["partitions"], seconds(run))
              for args, run in runs_of(medians, "BM_Resume")]
    commit = sorted((args["partitions"], run["median_commit_ms"], seconds(run) * 1e3)
                    for args, run in runs_of(medians, "BM_Commit"))
    if not overhead or not idle or not throughput or not resume or not commit:
        sys.exit("report: the results lack runtime_overhead_bench, idle_cost_bench or "
                 "recovery_bench runs")

    pathway = json.loads(pathlib.Path(options.pathway).read_text()) if options.pathway else None
    subject_targets, subject_lines = subject_section(medians, pathway)
    delivery_targets, delivery_lines = delivery_section(options.delivery_results)
    sources_targets, sources_lines = idle_sources_section(medians, options.bytewax_idle_results)
    callgrind_targets, callgrind_lines = callgrind_section(options.callgrind_results)
    metrics_targets, metrics_lines = metrics_section(medians, stddevs, options.callgrind_results)

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
        f"| cores (nproc) | {usable_cores()} |",
        f"| compiler | {version} |",
        f"| build type | {build_type} |",
        f"| load average at start (1, 5, 15 min) | {options.load_before} |",
        f"| file system of the recovery stores | {options.store_fs} |",
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
    for workers, _, _, ratio, _ in throughput:
        lines.append(f"| recovery, 1 s epochs, {workers} worker(s): >= {TARGET_RECOVERY_RATIO} "
                     f"of the throughput without | {ratio:.3f} | "
                     f"{yes_no(ratio >= TARGET_RECOVERY_RATIO)} |")
    for workers, partitions, took in resume:
        lines.append(f"| resume {partitions:,.0f} partitions, {workers} worker(s): "
                     f"< {TARGET_RESUME_SECONDS:g} s | {took * 1e3:.1f} ms | "
                     f"{yes_no(took < TARGET_RESUME_SECONDS)} |")
    lines += subject_targets
    lines += delivery_targets + sources_targets + callgrind_targets + metrics_targets
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
    lines += [
        "",
        "## Recovery (`bench/recovery_bench.cc`)",
        "",
        "Throughput: eight in-memory partitions hand out integers 1,024 at a time into a",
        "`CountingSink` through `inlet::Run` with a 1 s epoch, without a recovery store and",
        "with one that commits every epoch (each run reads about 3 s of items). The two",
        "runs alternate, swapping order, so the machine's load weighs on both alike. Each",
        "column is a median over the repetitions (the ratio is the median of their ratios);",
        "the spread is the ratios' standard deviation: a gap smaller than it is noise.",
        "",
        "| workers | without recovery (items/s) | with recovery (items/s) | with / without "
        "| spread |",
        "|---:|---:|---:|---:|---:|",
    ]
    for workers, without, with_store, ratio, spread in throughput:
        lines.append(f"| {workers} | {rate(without)} | {rate(with_store)} | {ratio:.3f} "
                     f"| {spread:.3f} |")
    lines += [
        "",
        "Resume: a run that resumes from a store whose latest epoch holds every partition",
        "at its end: opening and checking the store, loading the states, `BuildPart` for",
        "each partition, polls that find nothing left, and the final commit.",
        "",
        "| workers | partitions | resume (ms) |",
        "|---:|---:|---:|",
    ]
    for workers, partitions, took in resume:
        lines.append(f"| {workers} | {partitions:,.0f} | {took * 1e3:.1f} |")
    lines += [
        "",
        "Commit: `RecoveryStore::Commit` of one epoch (every partition's state and the",
        "sink's marker in one transaction, fsynced, with pruning of old epochs).",
        "",
        "| partitions | median commit (ms) | mean commit (ms) | median per partition (us) |",
        "|---:|---:|---:|---:|",
    ]
    for partitions, median_ms, mean_ms in commit:
        lines.append(f"| {partitions:,} | {median_ms:.3f} | {mean_ms:.3f} | "
                     f"{median_ms * 1e3 / partitions:.1f} |")
    lines += subject_lines
    lines += delivery_lines + sources_lines + callgrind_lines + metrics_lines
    if options.bytewax_results:
        lines += bytewax_section(options.bytewax_results)
    if options.template_results:
        lines += template_section(options.template_results)
    lines += connector_sections()
    lines.append("")

    pathlib.Path(options.out).write_text("\n".join(lines))
    print("\n".join(lines))


# inlet's JSON-lines source must read at least this many times as fast as
# Bytewax's FileSource followed by json.loads in a map.
TARGET_BYTEWAX_JSON_RATIO = 2.0


def bytewax_section(path):
    """The lines of the Bytewax section, from bench/bytewax_bench.py's JSON."""
    data = json.loads(pathlib.Path(path).read_text())
    context = data["context"]
    runs = {(r["variant"], r["source"], r["workers"]): r for r in data["results"]}
    lines = [
        "",
        "## Bytewax (`bench/bytewax_bench.py`)",
        "",
        f"Bytewax {context['bytewax']} on Python {context['python']}: a dataflow input -> count "
        "(each batch counted by",
        f"`flat_map_batch`) over {context['files']} files of {context['lines_per_file']:,} lines, "
        f"batches of {context['batch_size']}, in one",
        "process (`bytewax.testing.cluster_main`). `lines`: `inlet.bytewax.DirSource` against",
        f"`bytewax.connectors.files.DirSource`; `json` (JSON lines of {context['json_line_bytes']} "
        "bytes on average):",
        "`inlet.bytewax.JsonLinesSource` (parsed in C++) against `DirSource` followed by",
        "`op.map(json.loads)`. Both sources run alternately in the same run on the same files;",
        f"medians of {context['repetitions']} runs. CPU is the process's (all threads), less "
        "disturbed by other load",
        "than wall time.",
        "",
        "| variant | workers | Bytewax (lines/s) | inlet (lines/s) | inlet / Bytewax "
        "| inlet / Bytewax, CPU time |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    targets = []
    variants = sorted({(v, w) for (v, _, w) in runs}, key=lambda key: (key[0] != "lines", key[1]))
    for variant, workers in variants:
        ours, theirs = runs[(variant, "inlet", workers)], runs[(variant, "bytewax", workers)]
        ratio = ours["items_per_second"] / theirs["items_per_second"]
        cpu_ratio = ours["items_per_cpu_second"] / theirs["items_per_cpu_second"]
        lines.append(f"| {variant} | {workers} | {rate(theirs['items_per_second'])} | "
                     f"{rate(ours['items_per_second'])} | {ratio:.2f} | {cpu_ratio:.2f} |")
        if variant == "json":
            targets.append(f"| json, {workers} worker(s): inlet >= {TARGET_BYTEWAX_JSON_RATIO:g}x "
                           f"Bytewax | {ratio:.2f} | {yes_no(ratio >= TARGET_BYTEWAX_JSON_RATIO)} |")
    lines += ["", "| target | measured | met |", "|---|---|---|", *targets]
    return lines


# From `cookiecutter --no-input` to a green ctest in the new repository.
TARGET_TEMPLATE_SECONDS = 60.0


def template_section(path):
    """The lines of the template section, from bench/template_bench.py's JSON."""
    data = json.loads(pathlib.Path(path).read_text())
    context = data["context"]
    runs = data["runs"]
    for run in runs:
        run.setdefault("path", "installed")  # Results from before the FetchContent path.
    phases = list(runs[0]["phases"])
    lines = [
        "",
        "## Template (`bench/template_bench.py`)",
        "",
        "From `cookiecutter --no-input` to a green `ctest --preset dev` in the generated "
        "repository: generate,",
        "configure, build (the connector, its program and its tests, Debug) and run every test, "
        "conformance",
        "suite included, by the two ways a repository gets the SDK. **installed**: found by "
        "`find_package`",
        "(FetchContent disconnected). **fetchcontent**: nothing installed, so CMake clones the "
        "SDK's tag",
        "(from a bare repository of this checkout, a `file://` URL) and builds it with the "
        "connector, no ccache:",
        "a user's first build. The 60 s target is for the installed path.",
        f"Each path and input kind {context['repetitions']} times, each time in a fresh "
        "directory; medians, wall clock"
        + (f"; load average {context['load_before']:.1f} before, {context['load_after']:.1f} "
           f"after on {context['cores']} cores." if "load_before" in context else "."),
        "",
        "| path | input kind | " + " | ".join(f"{p} (s)" for p in phases) +
        " | total (s) | total / 60 s target |",
        "|---|---|" + "---:|" * (len(phases) + 2),
    ]
    targets = []
    for path_name, kind in dict.fromkeys((run["path"], run["kind"]) for run in runs):
        mine = [run for run in runs if (run["path"], run["kind"]) == (path_name, kind)]
        cells = [statistics.median(run["phases"][p] for run in mine) for p in phases]
        total = statistics.median(run["total"] for run in mine)
        lines.append(f"| {path_name} | {kind} | " + " | ".join(f"{c:.1f}" for c in cells) +
                     f" | {total:.1f} | {total / TARGET_TEMPLATE_SECONDS:.2f} |")
        if path_name == "installed":
            targets.append(f"| template, {kind}: cookiecutter to green ctest < "
                           f"{TARGET_TEMPLATE_SECONDS:g} s | {total:.1f} s | "
                           f"{yes_no(total < TARGET_TEMPLATE_SECONDS)} |")
    lines += ["", "| target | measured | met |", "|---|---|---|", *targets]
    return lines

if __name__ == "__main__":
    main()
