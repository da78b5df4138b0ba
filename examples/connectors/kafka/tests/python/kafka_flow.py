"""The dataflow the Bytewax tests run in real Bytewax processes
(`python -m bytewax.run kafka_flow.py ...`). Configured through the environment:

  KAFKA_FLOW_BROKERS     bootstrap address
  KAFKA_FLOW_TOPIC       the topic to read (to its end offsets, then the flow ends)
  KAFKA_FLOW_OUT         directory of the output files
  KAFKA_FLOW_RUN         name of this run, prefix of its output files
  KAFKA_FLOW_KILL_AFTER  SIGKILL this process once it has seen this many records
  KAFKA_FLOW_DELAY       seconds every record waits (default 0), so epochs pass

Each record is written as "<partition> <offset> <value>" to
<out>/<run>-<pid>-worker-<index>.txt, flushed per batch, so what was written
survives a SIGKILL.
"""

import itertools
import os
import signal
import threading
import time

import bytewax.operators as op
import inlet.bytewax
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from inlet_kafka import InletKafka


class _LinesPartition(StatelessSinkPartition):
    def __init__(self, path: str):
        self._file = open(path, "a", encoding="utf-8")

    def write_batch(self, items) -> None:
        self._file.write("".join(f"{r.partition} {r.offset} {r.value}\n" for r in items))
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class LinesSink(DynamicSink):
    def build(self, step_id, worker_index, worker_count):
        prefix = os.path.join(os.environ["KAFKA_FLOW_OUT"],
                              f"{os.environ['KAFKA_FLOW_RUN']}-{os.getpid()}")
        return _LinesPartition(f"{prefix}-worker-{worker_index}.txt")


_seen = itertools.count(1)
_lock = threading.Lock()


def _count(record):
    delay = float(os.environ.get("KAFKA_FLOW_DELAY", "0"))
    if delay:
        time.sleep(delay)
    kill_after = int(os.environ.get("KAFKA_FLOW_KILL_AFTER", "0"))
    if kill_after:
        with _lock:
            if next(_seen) >= kill_after:
                os.kill(os.getpid(), signal.SIGKILL)
    return record


source = InletKafka(os.environ["KAFKA_FLOW_BROKERS"], [os.environ["KAFKA_FLOW_TOPIC"]],
                    stop_at_end=True, format="text", batch_size=100)
flow = Dataflow("kafka_flow")
records = op.map("count", op.input("read", flow, inlet.bytewax.PartitionedSource(source)), _count)
op.output("write", records, LinesSink())
