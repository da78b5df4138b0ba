"""The compiled module on its own, without an engine, against the real
server: the partitioned input an engine such as Bytewax polls."""

import time

import inlet
import pytest

from inlet_postgres_cdc import PostgresCdcInput as Connector


def _drain(partition) -> list:
    """Every item of `partition`, polled as an engine would, within 30 s."""
    items = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            items += partition.next_batch()
        except StopIteration:
            partition.close()
            return items
        time.sleep(0.001)
    raise AssertionError(f"the partition did not end; read {items!r}")


@pytest.mark.server
def test_the_slot_is_the_one_partition_and_its_changes_arrive(db):
    db.sql("CREATE TABLE t (id int PRIMARY KEY, s text); INSERT INTO t VALUES (1, 'ä');")
    connector = Connector(db.conninfo, "pub", slot=db.slot, end_lsn=db.end_lsn())
    assert connector.list_parts() == [db.slot]
    items = _drain(connector.build_part("step", db.slot, None))
    assert len(items) == 1
    assert items[0]["new"] == {"id": 1, "s": "ä"} and items[0]["op"] == "insert"


def test_bad_arguments_raise_value_error_naming_them():
    with pytest.raises(ValueError, match='slot name "Bad-Slot" is invalid'):
        Connector("", "pub", slot="Bad-Slot")
    with pytest.raises(ValueError, match='bad LSN "x"'):
        Connector("", "pub", end_lsn="x")


@pytest.mark.server
def test_a_connection_failure_raises_connector_error(db):
    connector = Connector(db.conninfo.replace("password=secret", "password=wrong"), "pub",
                          slot=db.slot)
    with pytest.raises(inlet.ConnectorError, match="password authentication failed"):
        _drain(connector.build_part("step", db.slot, None))
