"""Reads Apache Kafka topics into a stream processor.
``InletKafka`` is the connector as a partitioned input; run it on
Bytewax with ``inlet.bytewax.PartitionedSource``. Its items are ``Record``
objects (``topic``, ``partition``, ``offset``, ``timestamp``, ``key``,
``value``). See examples/bytewax_flow.py.
"""

from inlet_kafka._inlet_kafka import InletKafka, Record

__all__ = ["InletKafka", "Record"]
