"""Instructions per item, inlet::Run against the plain polling loop, counted by
callgrind: deterministic where wall-clock throughput is not, so it shows what
the runtime's machinery costs per item on a loaded machine.

For each batch size, bench/runtime_overhead_driver (built by the release
preset; this script builds nothing) drains two fixed item counts N1 < N2
through each path, once each, under `valgrind --tool=callgrind`. The total
instructions (Ir, every thread) of a run are a fixed startup and shutdown
cost plus a cost per item, so (Ir(N2) - Ir(N1)) / (N2 - N1) is the cost per
item with the fixed part cancelled exactly. At batch 1 an item is a poll, so
that figure is also the cost of one poll and its sink write.

The plain loop's counts repeat exactly. inlet::Run's vary between runs (about
1% at batch 1024, up to 10% at batch 1 on a loaded machine): it reads the
clock (absl::Now) around every poll, and Abseil's clock takes a slow path (a
kernel read and a recalibration) once per couple of milliseconds of wall
time, which callgrind's slowdown and the machine's load stretch. So each count
is the minimum of --repetitions runs (the least disturbed), and the spread of
the per-item figure is reported with it. A second figure leaves out the
instructions spent inside the clock read itself (absl::GetCurrentTimeNanos,
whose recalibration is inlined into it, and clock_gettime): it repeats to a
few instructions whatever the load, so it is the one to compare two builds by.

The same counts for inlet::Run collecting metrics (mode inlet-metrics:
`collect_metrics`, an `on_metrics` that keeps a copy every second, as RunMain
does) give what metrics cost per item: `metrics_ratio` is inlet::Run's
instructions per item without metrics over those with (1.0 = free, as the
throughput ratio). The handovers are timed by the wall clock, which callgrind
slows about 50-fold, so under it they come about 50 times as often per item as
in a real run; at the default interval that inflation stays small.

Usage: python bench/callgrind_per_item.py [--binary build/release/bench/runtime_overhead_driver]
                                          [--batches 1 64 1024] [--out results.json]
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

# (N1, N2) per batch size: multiples of 4 partitions x batch, large enough
# that the per-item part dominates, small enough for callgrind (~50x slower).
ITEM_COUNTS = {1: (50_000, 100_000), 64: (1 << 19, 1 << 20), 1024: (1 << 21, 1 << 22)}
SUMMARY = re.compile(r"^(?:summary|totals): (\d+)", re.MULTILINE)
# Functions whose own instructions are the clock read (see the docstring).
CLOCK = re.compile(r"GetCurrentTimeNanos|clock_gettime|vdso")
ANNOTATED = re.compile(r"^\s*([\d,]+) .*?\S+:(\S.*)$")


def clock_instructions(out):
    """The instructions callgrind counted inside the clock's functions."""
    listing = subprocess.run(["callgrind_annotate", "--threshold=100", str(out)],
                             capture_output=True, text=True, check=True).stdout
    total = 0
    for line in listing.splitlines():
        found = ANNOTATED.match(line)
        if found and "PROGRAM TOTALS" not in line and CLOCK.search(found.group(2)):
            total += int(found.group(1).replace(",", ""))
    return total


def instructions(binary, mode, batch, items, workers, scratch):
    """The Ir of one run of the driver under callgrind, and the part of it
    spent inside the clock read."""
    out = pathlib.Path(scratch) / f"callgrind.{mode}.{batch}.{items}"
    command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
               binary, f"--mode={mode}", f"--batch={batch}", f"--items={items}",
               f"--workers={workers}"]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"callgrind_per_item: {' '.join(command)} exited with status "
                 f"{done.returncode}:\n{done.stderr}")
    if done.stdout.strip() != str(items):
        sys.exit(f"callgrind_per_item: {' '.join(command)} read {done.stdout.strip()} items, "
                 f"expected {items}")
    found = SUMMARY.search(out.read_text())
    if not found:
        sys.exit(f"callgrind_per_item: no summary line in {out}")
    return int(found.group(1)), clock_instructions(out)


def counts_for(batch):
    if batch in ITEM_COUNTS:
        return ITEM_COUNTS[batch]
    n1 = max(50_000, 4 * batch * 512)
    return n1, 2 * n1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="build/release/bench/runtime_overhead_driver")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 64, 1024])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--repetitions", type=int, default=3,
                        help="runs of each count; the minimum Ir is kept")
    parser.add_argument("--out", help="where to write the JSON results")
    options = parser.parse_args()
    if not pathlib.Path(options.binary).is_file():
        parser.error(f"--binary {options.binary}: no such file; build the release preset "
                     "(cmake --build --preset release --target runtime_overhead_driver)")
    if any(batch < 1 for batch in options.batches):
        parser.error("--batches must be at least 1 each")
    if options.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    version = subprocess.run(["valgrind", "--version"], capture_output=True, text=True,
                             check=True).stdout.strip()

    rows = []
    with tempfile.TemporaryDirectory(prefix="inlet-callgrind-") as scratch:
        for batch in options.batches:
            n1, n2 = counts_for(batch)
            row = {"batch": batch, "items": [n1, n2]}
            for mode in ("inlet", "inlet-metrics", "plain"):
                runs1, runs2, bare1, bare2 = [], [], [], []
                for _ in range(options.repetitions):
                    for runs, bare, items in ((runs1, bare1, n1), (runs2, bare2, n2)):
                        ir, clock = instructions(options.binary, mode, batch, items,
                                                 options.workers, scratch)
                        runs.append(ir)
                        bare.append(ir - clock)
                ir1, ir2 = min(runs1), min(runs2)
                bare_per_item = (min(bare2) - min(bare1)) / (n2 - n1)
                bare_spread = ((max(bare2) - min(bare1)) - (min(bare2) - max(bare1))) / (n2 - n1)
                per_item = (ir2 - ir1) / (n2 - n1)
                # The widest per-item figure any pair of runs gives, less the narrowest.
                spread = ((max(runs2) - min(runs1)) - (min(runs2) - max(runs1))) / (n2 - n1)
                row[mode] = {"ir_runs": [runs1, runs2], "ir": [ir1, ir2],
                             "ir_per_item": per_item, "spread_per_item": spread,
                             "fixed_ir": ir1 - per_item * n1,
                             "ir_per_item_without_clock": bare_per_item,
                             "spread_per_item_without_clock": bare_spread}
                print(f"callgrind_per_item: batch {batch} {mode}: Ir {ir1:,} at {n1:,} items, "
                      f"{ir2:,} at {n2:,}: {per_item:.2f} per item (spread {spread:.2f}); "
                      f"without the clock {bare_per_item:.2f} (spread {bare_spread:.2f})",
                      file=sys.stderr)
            row["ratio"] = row["inlet"]["ir_per_item"] / row["plain"]["ir_per_item"]
            row["metrics_ratio"] = (row["inlet"]["ir_per_item"]
                                    / row["inlet-metrics"]["ir_per_item"])
            rows.append(row)

    print("| batch | inlet::Run Ir/item (spread) | plain loop Ir/item (spread) | inlet / plain |")
    print("|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['batch']} | {row['inlet']['ir_per_item']:.2f} "
              f"({row['inlet']['spread_per_item']:.2f}) | {row['plain']['ir_per_item']:.2f} "
              f"({row['plain']['spread_per_item']:.2f}) | {row['ratio']:.3f} |")
    print("\n| batch | inlet::Run Ir/item | with metrics Ir/item (spread) | without / with |")
    print("|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['batch']} | {row['inlet']['ir_per_item']:.2f} | "
              f"{row['inlet-metrics']['ir_per_item']:.2f} "
              f"({row['inlet-metrics']['spread_per_item']:.2f}) | {row['metrics_ratio']:.3f} |")
    for row in rows:
        if row["batch"] == 1:
            added = row["inlet"]["ir_per_item"] - row["plain"]["ir_per_item"]
            print(f"\nPer poll at batch 1: inlet::Run {row['inlet']['ir_per_item']:.1f} Ir, "
                  f"the plain loop {row['plain']['ir_per_item']:.1f} Ir; the runtime adds "
                  f"{added:.1f} Ir per poll.")
    if options.out:
        pathlib.Path(options.out).write_text(json.dumps(
            {"context": {"valgrind": version, "binary": options.binary,
                         "workers": options.workers, "repetitions": options.repetitions},
             "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
