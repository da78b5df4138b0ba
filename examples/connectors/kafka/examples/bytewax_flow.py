"""Runs InletKafka on Bytewax and prints every record it reads.

    INLET_KAFKA_BROKERS=localhost:9092 INLET_KAFKA_TOPICS=orders \
        python -m bytewax.run examples/bytewax_flow.py -w 2

Reads every partition of the topics in INLET_KAFKA_TOPICS (comma-separated)
from INLET_KAFKA_BROKERS, as text, to the end offsets they have when the
flow starts; set INLET_KAFKA_FOLLOW=1 to follow them instead.
"""

import os
import sys
import threading

import bytewax.operators as op
import inlet.bytewax
from bytewax.dataflow import Dataflow
from bytewax.outputs import DynamicSink, StatelessSinkPartition

from inlet_kafka import InletKafka


class _PrintBatch(StatelessSinkPartition):
    _stdout = threading.Lock()  # Shared by the workers of this process.

    def write_batch(self, items) -> None:
        text = "".join(f"{item.topic}/{item.partition}@{item.offset}: {item.value}\n"
                       for item in items)
        with self._stdout:
            sys.stdout.write(text)
            sys.stdout.flush()


class LinesToStdout(DynamicSink):
    """Prints every record on a line of its own, a whole batch at a time, so
    the lines of two workers never run into each other."""

    def build(self, step_id, worker_index, worker_count):
        return _PrintBatch()


source = InletKafka(os.environ.get("INLET_KAFKA_BROKERS", "localhost:9092"),
                    os.environ.get("INLET_KAFKA_TOPICS", "orders").split(","),
                    stop_at_end=os.environ.get("INLET_KAFKA_FOLLOW") != "1", format="text")

flow = Dataflow("inlet_kafka")
records = op.input("read", flow, inlet.bytewax.PartitionedSource(source))
op.output("print", records, LinesToStdout())
