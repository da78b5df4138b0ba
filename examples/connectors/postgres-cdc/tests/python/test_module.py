"""The compiled module on its own, without an engine: it runs on every Python
version the wheels are built for, including those Bytewax has no wheel for."""

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


def test_every_line_of_a_file_is_read_in_order(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("a1\na2\na3\n")
    connector = Connector([str(path)])
    assert connector.list_parts() == ["a.txt"]
    assert _drain(connector.build_part("step", "a.txt", None)) == ["a1", "a2", "a3"]


def test_a_missing_file_raises_an_error_naming_it(tmp_path):
    connector = Connector([str(tmp_path / "missing.txt")])
    with pytest.raises(inlet.ConnectorError, match="missing.txt"):
        _drain(connector.build_part("step", "missing.txt", None))
