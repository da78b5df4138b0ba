"""Streams PostgreSQL changes (logical replication, pgoutput) into a stream processor, exactly once.

``PostgresCdcInput`` is the connector as a partitioned input (one partition,
named after the replication slot); run it on Bytewax with
``inlet.bytewax.PartitionedSource``. ``PostgresCdc`` is the same connector as
a subject, read into a Pathway table with ``inlet.pathway.read``.
"""

from inlet_postgres_cdc._inlet_postgres_cdc import PostgresCdc, PostgresCdcInput

__all__ = ["PostgresCdc", "PostgresCdcInput"]
