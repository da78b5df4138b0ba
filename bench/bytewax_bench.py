"""Lines per second through a Bytewax dataflow (input -> count), inlet's
sources against Bytewax's own, side by side on the same files.

Variants, each with 1 and 2 workers (bytewax.testing.cluster_main, one
process):
  lines: inlet.bytewax.DirSource against bytewax.connectors.files.DirSource;
  json:  inlet.bytewax.JsonLinesSource (parsed to dicts in C++) against
         DirSource followed by op.map(json.loads).
"count" counts each batch with flat_map_batch, so the dataflow adds little
per item beyond the input. Runs alternate between the two sources and the
median of the repetitions is reported, as wall time and as the process's
CPU time (all threads), which other load on the machine disturbs less. Writes JSON for bench/report.py.
Usage: python bench/bytewax_bench.py --out results.json
"""

import argparse
import importlib.metadata
import json
import pathlib
import platform
import statistics
import tempfile
import time

import bytewax.operators as op
from bytewax.connectors.files import DirSource
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.testing import cluster_main

import inlet.bytewax

FILES = 4
BATCH_SIZE = 1000


class _Total(StatelessSinkPartition):
    def __init__(self, totals):
        self._totals = totals

    def write_batch(self, counts):
        self._totals.append(sum(counts))


class TotalSink(DynamicSink):
    """Collects the per-batch counts of every worker."""

    def __init__(self):
        self.totals = []

    def build(self, step_id, worker_index, worker_count):
        return _Total(self.totals)


def write_inputs(directory: pathlib.Path, lines_per_file: int):
    """Writes FILES text files and FILES JSON-lines files of `lines_per_file` lines."""
    (directory / "lines").mkdir()
    (directory / "json").mkdir()
    for f in range(FILES):
        with open(directory / "lines" / f"part-{f}.txt", "w") as out:
            for n in range(lines_per_file):
                out.write(f"2026-11-23T10:00:{n % 60:02d}Z order {f}-{n} shipped to warehouse "
                          f"{n % 17}\n")
        with open(directory / "json" / f"part-{f}.jsonl", "w") as out:
            for n in range(lines_per_file):
                out.write(json.dumps({
                    "id": f * lines_per_file + n, "user": f"user-{n % 1000}",
                    "amount": round(n * 0.37, 2), "currency": "EUR", "paid": n % 3 == 0,
                    "items": [n % 5, n % 7], "address": {"city": "Lyon", "zip": f"690{n % 10:02d}"},
                }) + "\n")


def build_flow(variant: str, source: str, directory: pathlib.Path, sink: TotalSink) -> Dataflow:
    flow = Dataflow(f"{variant}_{source}")
    if source == "inlet":
        if variant == "lines":
            stream = op.input("in", flow, inlet.bytewax.DirSource(
                directory / "lines", glob_pat="*.txt", batch_size=BATCH_SIZE))
        else:
            stream = op.input("in", flow, inlet.bytewax.JsonLinesSource(
                sorted((directory / "json").glob("*.jsonl")), batch_size=BATCH_SIZE))
    else:
        if variant == "lines":
            stream = op.input("in", flow, DirSource(directory / "lines", glob_pat="*.txt",
                                                    batch_size=BATCH_SIZE))
        else:
            raw = op.input("in", flow, DirSource(directory / "json", glob_pat="*.jsonl",
                                                 batch_size=BATCH_SIZE))
            stream = op.map("parse", raw, json.loads)
    op.output("out", op.flat_map_batch("count", stream, lambda items: [len(items)]), sink)
    return flow


def timed_run(variant: str, source: str, workers: int, directory: pathlib.Path,
              expected: int):
    """Runs the dataflow once; returns its wall time and the process's CPU time
    (every thread's), in seconds."""
    sink = TotalSink()
    flow = build_flow(variant, source, directory, sink)
    started, cpu_started = time.perf_counter(), time.process_time()
    cluster_main(flow, addresses=[], proc_id=0, worker_count_per_proc=workers)
    took, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if sum(sink.totals) != expected:
        raise SystemExit(f"{variant}/{source}: counted {sum(sink.totals)}, expected {expected}")
    return took, cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the JSON results")
    parser.add_argument("--lines-per-file", type=int, default=250_000)
    parser.add_argument("--repetitions", type=int, default=5)
    options = parser.parse_args()

    expected = FILES * options.lines_per_file
    results = []
    with tempfile.TemporaryDirectory(prefix="inlet-bytewax-bench-") as scratch:
        directory = pathlib.Path(scratch)
        write_inputs(directory, options.lines_per_file)
        json_line_bytes = round(sum(path.stat().st_size for path in (directory / "json").iterdir())
                                / expected)
        for variant in ("lines", "json"):
            for workers in (1, 2):
                runs = {"inlet": [], "bytewax": []}
                for repetition in range(options.repetitions):
                    order = ("inlet", "bytewax") if repetition % 2 == 0 else ("bytewax", "inlet")
                    for source in order:
                        runs[source].append(
                            timed_run(variant, source, workers, directory, expected))
                for source, timings in runs.items():
                    wall = statistics.median(took for took, _ in timings)
                    cpu = statistics.median(cpu for _, cpu in timings)
                    results.append({"variant": variant, "source": source, "workers": workers,
                                    "items": expected, "wall_seconds": [t for t, _ in timings],
                                    "cpu_seconds": [c for _, c in timings],
                                    "items_per_second": expected / wall,
                                    "items_per_cpu_second": expected / cpu})
                    print(f"{variant:5} {source:7} workers={workers}: {expected / wall:,.0f} "
                          f"items/s, {expected / cpu:,.0f} items/CPU-s "
                          f"(medians of {len(timings)})")
    context = {"python": platform.python_version(),
               "bytewax": importlib.metadata.version("bytewax"),
               "files": FILES, "lines_per_file": options.lines_per_file,
               "json_line_bytes": json_line_bytes,
               "batch_size": BATCH_SIZE, "repetitions": options.repetitions}
    pathlib.Path(options.out).write_text(json.dumps({"context": context, "results": results},
                                                    indent=2))


if __name__ == "__main__":
    main()
