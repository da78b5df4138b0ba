"""What idle sources cost in Bytewax, in the two shapes bench/idle_sources_bench.cc
measures for inlet, written as a Bytewax user would write them:

  subjects: 100 partitions of a push source, each a queue fed by a producer
            thread whose client never has anything; `next_batch` takes what
            is queued without waiting and `next_awake` is left to Bytewax
            (after an empty batch, the next call comes 1 ms later).
  files:    100 files followed for appends: each partition reads the complete
            lines there are and, when there are none, asks through
            `next_awake` to be polled again in 100 ms (Bytewax's own
            FileSource does not follow).

A third run measures the follow mode's latency: the same 100 followed files,
one line appended to one of them every 10 ms (APPENDS lines), and the time
from the write to the sink's receiving the line, as bench/idle_sources_bench.cc
measures it for inlet.

One worker (bytewax.testing.cluster_main, one process). Once every partition
is built, a warmup of --warmup seconds lets the files' one line each be read;
the process's CPU time (every thread) is then read around a window of
--window seconds and reported as a percentage of one core; then the
partitions end. Writes JSON for bench/report.py.

Usage: python bench/bytewax_idle.py --out results.json
"""

import argparse
import datetime
import importlib.metadata
import json
import pathlib
import platform
import queue
import statistics
import tempfile
import threading
import time

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.inputs import FixedPartitionedSource, StatefulSourcePartition
from bytewax.outputs import DynamicSink, StatelessSinkPartition
from bytewax.testing import TestingSink, cluster_main

PARTITIONS = 100
FOLLOW_INTERVAL = datetime.timedelta(milliseconds=100)
BATCH_SIZE = 1024
APPENDS = 200
APPEND_EVERY = 0.01  # Seconds between two appends.


class Run:
    """What the partitions of one run share: how many were built, and the stop."""

    def __init__(self):
        self.lock = threading.Lock()
        self.built = 0
        self.all_built = threading.Event()
        self.stop = threading.Event()

    def count_build(self):
        with self.lock:
            self.built += 1
            if self.built == PARTITIONS:
                self.all_built.set()


class _QueuePartition(StatefulSourcePartition):
    def __init__(self, run):
        self._run = run
        self._queue = queue.SimpleQueue()
        # The client library's thread: it would put what it receives on the
        # queue; this one never receives anything.
        self._producer = threading.Thread(target=run.stop.wait, daemon=True)
        self._producer.start()

    def next_batch(self):
        if self._run.stop.is_set():
            raise StopIteration()
        batch = []
        while len(batch) < BATCH_SIZE:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def snapshot(self):
        return None


class IdleSubjects(FixedPartitionedSource):
    def __init__(self, run):
        self._run = run

    def list_parts(self):
        return [f"subject-{i}" for i in range(PARTITIONS)]

    def build_part(self, step_id, for_part, resume_state):
        partition = _QueuePartition(self._run)
        self._run.count_build()
        return partition


class _FollowPartition(StatefulSourcePartition):
    def __init__(self, run, path, resume_state):
        self._run = run
        self._file = open(path, "rb")
        self._file.seek(resume_state or 0)
        self._awake = None

    def next_batch(self):
        if self._run.stop.is_set():
            raise StopIteration()
        lines = []
        while len(lines) < BATCH_SIZE:
            start = self._file.tell()
            line = self._file.readline()
            if not line.endswith(b"\n"):
                # Nothing more, or a line still being written: look again later.
                self._file.seek(start)
                break
            lines.append(line[:-1].decode())
        now = datetime.datetime.now(datetime.timezone.utc)
        self._awake = None if lines else now + FOLLOW_INTERVAL
        return lines

    def next_awake(self):
        return self._awake

    def snapshot(self):
        return self._file.tell()

    def close(self):
        self._file.close()


class FollowedFiles(FixedPartitionedSource):
    def __init__(self, run, paths):
        self._run = run
        self._paths = {path.name: path for path in paths}

    def list_parts(self):
        return list(self._paths)

    def build_part(self, step_id, for_part, resume_state):
        partition = _FollowPartition(self._run, self._paths[for_part], resume_state)
        self._run.count_build()
        return partition


def measure(shape, directory, warmup, window):
    """Runs one shape once; returns the CPU percentage of one core over the window."""
    run = Run()
    if shape == "subjects":
        source, expected = IdleSubjects(run), 0
    else:
        source, expected = FollowedFiles(run, sorted(directory.iterdir())), PARTITIONS
    flow = Dataflow(f"idle_{shape}")
    received = []
    op.output("out", op.input("in", flow, source), TestingSink(received))
    measured = {}

    def timer():
        if not run.all_built.wait(60):
            run.stop.set()
            return
        time.sleep(warmup)
        cpu, wall = time.process_time(), time.perf_counter()
        time.sleep(window)
        measured["cpu"] = time.process_time() - cpu
        measured["wall"] = time.perf_counter() - wall
        run.stop.set()

    thread = threading.Thread(target=timer)
    thread.start()
    try:
        cluster_main(flow, addresses=[], proc_id=0, worker_count_per_proc=1)
    finally:
        run.stop.set()
        thread.join()
    if "cpu" not in measured:
        raise SystemExit(f"{shape}: the partitions were not all built within 60 s")
    if len(received) != expected:
        raise SystemExit(f"{shape}: received {len(received)} items, expected {expected}")
    return 100.0 * measured["cpu"] / measured["wall"]


class _ArrivalPartition(StatelessSinkPartition):
    def __init__(self, arrivals):
        self._arrivals = arrivals

    def write_batch(self, items):
        now = time.perf_counter()
        for item in items:
            if item.startswith("append "):
                self._arrivals[int(item[len("append "):])] = now


class ArrivalSink(DynamicSink):
    """Records when each "append <n>" line arrives."""

    def __init__(self, arrivals):
        self._arrivals = arrivals

    def build(self, step_id, worker_index, worker_count):
        return _ArrivalPartition(self._arrivals)


def measure_latency(directory, warmup):
    """Appends APPENDS lines to the followed files; returns their latencies in ms."""
    run = Run()
    paths = sorted(directory.iterdir())
    flow = Dataflow("follow_latency")
    arrivals = {}
    op.output("out", op.input("in", flow, FollowedFiles(run, paths)), ArrivalSink(arrivals))
    written = {}

    def writer():
        if not run.all_built.wait(60):
            run.stop.set()
            return
        time.sleep(warmup)
        for n in range(APPENDS):
            written[n] = time.perf_counter()
            with open(paths[n % len(paths)], "a") as file:
                file.write(f"append {n}\n")
            time.sleep(APPEND_EVERY)
        deadline = time.perf_counter() + 10
        while len(arrivals) < APPENDS and time.perf_counter() < deadline:
            time.sleep(0.001)
        run.stop.set()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        cluster_main(flow, addresses=[], proc_id=0, worker_count_per_proc=1)
    finally:
        run.stop.set()
        thread.join()
    if len(arrivals) != APPENDS:
        raise SystemExit(f"latency: {len(arrivals)} of {APPENDS} appended lines arrived")
    return sorted(1000.0 * (arrivals[n] - written[n]) for n in range(APPENDS))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="where to write the JSON results")
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--window", type=float, default=5.0)
    parser.add_argument("--repetitions", type=int, default=3)
    options = parser.parse_args()

    results = []
    with tempfile.TemporaryDirectory(prefix="inlet-bytewax-idle-") as scratch:
        directory = pathlib.Path(scratch)
        for i in range(PARTITIONS):
            (directory / f"file-{i}.txt").write_text("a line already there\n")
        for shape in ("subjects", "files"):
            percents = [measure(shape, directory, options.warmup, options.window)
                        for _ in range(options.repetitions)]
            results.append({"shape": shape, "partitions": PARTITIONS,
                            "cpu_percent_of_one_core": percents,
                            "median_cpu_percent_of_one_core": statistics.median(percents)})
            print(f"bytewax idle {shape}: " +
                  ", ".join(f"{p:.3f}%" for p in percents) + " of one core")
        latencies = measure_latency(directory, options.warmup)
        latency = {"appends": APPENDS, "p50_ms": latencies[len(latencies) // 2],
                   "p99_ms": latencies[round(0.99 * (len(latencies) - 1))],
                   "max_ms": latencies[-1]}
        print(f"bytewax follow latency: p50 {latency['p50_ms']:.1f} ms, "
              f"p99 {latency['p99_ms']:.1f} ms")
    context = {"python": platform.python_version(),
               "bytewax": importlib.metadata.version("bytewax"),
               "warmup_seconds": options.warmup, "window_seconds": options.window,
               "follow_interval_ms": FOLLOW_INTERVAL / datetime.timedelta(milliseconds=1),
               "repetitions": options.repetitions}
    pathlib.Path(options.out).write_text(json.dumps(
        {"context": context, "results": results, "follow_latency": latency}, indent=2))


if __name__ == "__main__":
    main()
