"""The Bytewax dataflow bench/partitions_bench.py runs in a process of its
own (`python -m bytewax.run bench/partitions_bytewax_flow.py -w N`): one
source, items counted per batch, the total printed on stderr at the end.

Configured through the environment:
  PARTITIONS_BENCH_SOURCE  bytewax-dir (bytewax.connectors.files.DirSource),
                           bytewax-file-json (bytewax's FileSource, then
                           json.loads per line), inlet-jsonl
                           (inlet.bytewax.JsonLinesSource)
  PARTITIONS_BENCH_PATH    the directory or the file
  PARTITIONS_BENCH_SPLIT   split_bytes for inlet-jsonl (default 0)
"""

import json
import os
import pathlib
import sys

import bytewax.operators as op
from bytewax.connectors.files import DirSource, FileSource
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition


class _Count(StatelessSinkPartition):
    def __init__(self, worker):
        self._worker = worker
        self._total = 0

    def write_batch(self, counts):
        self._total += sum(counts)

    def close(self):
        print(f"worker {self._worker}: {self._total} items", file=sys.stderr)


class CountSink(DynamicSink):
    def build(self, step_id, worker_index, worker_count):
        return _Count(worker_index)


kind = os.environ["PARTITIONS_BENCH_SOURCE"]
path = pathlib.Path(os.environ["PARTITIONS_BENCH_PATH"])
flow = Dataflow("partitions_bench")
if kind == "bytewax-dir":
    items = op.input("in", flow, DirSource(path, glob_pat="*.txt"))
elif kind == "bytewax-file-json":
    items = op.map("parse", op.input("in", flow, FileSource(path)), json.loads)
elif kind == "inlet-jsonl":
    import inlet.bytewax

    items = op.input("in", flow, inlet.bytewax.JsonLinesSource(
        path, split_bytes=int(os.environ.get("PARTITIONS_BENCH_SPLIT", "0"))))
else:
    sys.exit(f"unknown PARTITIONS_BENCH_SOURCE {kind!r}")
op.output("out", op.flat_map_batch("count", items, lambda batch: [len(batch)]), CountSink())
