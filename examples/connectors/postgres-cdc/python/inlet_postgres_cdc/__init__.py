"""Streams PostgreSQL changes (logical replication, pgoutput) into a stream processor, exactly once.
``PostgresCdcInput`` is the connector as a partitioned input (one
subject per file); run it on Bytewax with ``inlet.bytewax.PartitionedSource``. See examples/bytewax_flow.py.
"""

from inlet_postgres_cdc._inlet_postgres_cdc import PostgresCdcInput

__all__ = ["PostgresCdcInput"]
