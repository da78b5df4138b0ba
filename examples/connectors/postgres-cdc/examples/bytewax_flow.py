"""Runs PostgresCdc on Bytewax and prints every line it reads.

    python -m bytewax.run examples/bytewax_flow.py          # one worker
    python -m bytewax.run examples/bytewax_flow.py -w 2     # two workers

Reads data/*.txt, or the files named in the environment variable
INLET_POSTGRES_CDC_FILES (separated by os.pathsep).
"""

import glob
import os
import sys
import threading

import bytewax.operators as op
import inlet.bytewax
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from inlet_postgres_cdc import PostgresCdcInput


class _PrintBatch(StatelessSinkPartition):
    _stdout = threading.Lock()  # Shared by the workers of this process.

    def write_batch(self, items) -> None:
        text = "".join(f"{item}\n" for item in items)
        with self._stdout:
            sys.stdout.write(text)
            sys.stdout.flush()


class LinesToStdout(DynamicSink):
    """Prints every item on a line of its own. Bytewax's StdOutSink writes an
    item and its newline apart, so the lines of two workers can run into each
    other; here a worker writes a whole batch at a time."""

    def build(self, step_id, worker_index, worker_count):
        return _PrintBatch()


_files = os.environ.get("INLET_POSTGRES_CDC_FILES")
paths = (_files.split(os.pathsep) if _files else
         sorted(glob.glob(os.path.join(os.path.dirname(__file__), "..", "data", "*.txt"))))

flow = Dataflow("inlet_postgres_cdc")
lines = op.input("read", flow, inlet.bytewax.PartitionedSource(PostgresCdcInput(paths)))
op.output("print", lines, LinesToStdout())
