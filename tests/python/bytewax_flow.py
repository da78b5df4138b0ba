"""The dataflow that test_bytewax.py runs in real Bytewax processes
(`python -m bytewax.run bytewax_flow.py`, `python -m bytewax.testing ...`).

Configured through the environment:
  INLET_FLOW_FILES      files for inlet.bytewax.FileSource, os.pathsep-separated
  INLET_FLOW_JSONL      a file for inlet.bytewax.JsonLinesSource, read in byte ranges of
                        INLET_FLOW_SPLIT bytes
  INLET_FLOW_DYNAMIC    "1": merge in inlet_test_connector.MixedInput (one item a worker)
  INLET_FLOW_COUNTERS   "<partitions>:<limit>": merge in inlet_test_connector.Counters over
                        partitions c0, c1, ... as "c<p> <n>" lines (INLET_FLOW_BATCH a batch)
  INLET_FLOW_ACK_LOG    the Counters' `ack_log`: a file each `Committed` call appends to
  INLET_FLOW_BATCH      lines per batch (default 1000)
  INLET_FLOW_DELAY      seconds every item waits in a map step (default 0)
  INLET_FLOW_KILL_AFTER SIGKILL this process once it has seen this many items
  INLET_FLOW_OUT        directory of the output files
  INLET_FLOW_RUN        name of this run, prefix of its output files
Every item is written as a JSON line to <out>/<run>-<pid>-worker-<index>.jsonl,
flushed per batch, so what was written survives a SIGKILL.
"""

import itertools
import json
import os
import signal
import threading
import time

import bytewax.operators as op
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition

import inlet.bytewax


class _JsonLinesPartition(StatelessSinkPartition):
    def __init__(self, path: str):
        self._file = open(path, "a", encoding="utf-8")

    def write_batch(self, items) -> None:
        self._file.write("".join(json.dumps(item) + "\n" for item in items))
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class JsonLinesSink(DynamicSink):
    def __init__(self, directory: str, run: str):
        self._prefix = os.path.join(directory, f"{run}-{os.getpid()}")

    def build(self, step_id, worker_index, worker_count):
        return _JsonLinesPartition(f"{self._prefix}-worker-{worker_index}.jsonl")


_seen = itertools.count(1)
_seen_lock = threading.Lock()


def _pace(item):
    """Waits the configured delay and kills the process at the configured count."""
    delay = float(os.environ.get("INLET_FLOW_DELAY", "0"))
    if delay:
        time.sleep(delay)
    kill_after = int(os.environ.get("INLET_FLOW_KILL_AFTER", "0"))
    if kill_after:
        with _seen_lock:
            if next(_seen) >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
    return item


flow = Dataflow("inlet_test")
streams = []
files = [path for path in os.environ.get("INLET_FLOW_FILES", "").split(os.pathsep) if path]
if files:
    batch_size = int(os.environ.get("INLET_FLOW_BATCH", "1000"))
    streams.append(op.input("files", flow, inlet.bytewax.FileSource(files, batch_size=batch_size)))
if os.environ.get("INLET_FLOW_JSONL"):
    streams.append(op.input("records", flow, inlet.bytewax.JsonLinesSource(
        os.environ["INLET_FLOW_JSONL"], batch_size=int(os.environ.get("INLET_FLOW_BATCH", "1000")),
        split_bytes=int(os.environ.get("INLET_FLOW_SPLIT", "0")))))
if os.environ.get("INLET_FLOW_DYNAMIC") == "1":
    import inlet_test_connector

    mixed = op.input("mixed", flow, inlet.bytewax.DynamicSource(inlet_test_connector.MixedInput()))
    streams.append(op.map("worker_of", mixed, lambda item: {"dynamic": item[5]["worker"]}))
counters = os.environ.get("INLET_FLOW_COUNTERS")
if counters:
    import inlet_test_connector

    partitions, limit = (int(part) for part in counters.split(":"))
    native = inlet_test_connector.Counters(
        [f"c{p}" for p in range(partitions)], limit,
        batch_size=int(os.environ.get("INLET_FLOW_BATCH", "1000")),
        ack_log=os.environ.get("INLET_FLOW_ACK_LOG", ""))
    counted = op.input("counters", flow, inlet.bytewax.PartitionedSource(native))
    streams.append(op.map("counter_line", counted, lambda item: f"{item[0]} {item[1]}"))
merged = op.merge("merge", *streams)
op.output("out", op.map("pace", merged, _pace),
          JsonLinesSink(os.environ["INLET_FLOW_OUT"], os.environ.get("INLET_FLOW_RUN", "run")))
