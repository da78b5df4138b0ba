"""PostgresCdc on the real Bytewax runtime (after `pip install .`)."""

import os
import pathlib
import subprocess
import sys

import inlet
import pytest

# Bytewax publishes no wheel for every Python the package is built for.
pytest.importorskip("bytewax")

import bytewax.operators as op  # noqa: E402
import inlet.bytewax  # noqa: E402
from bytewax.dataflow import Dataflow  # noqa: E402
from bytewax.testing import TestingSink, run_main  # noqa: E402

from inlet_postgres_cdc import PostgresCdcInput as Connector

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _source(paths):
    return inlet.bytewax.PartitionedSource(Connector([str(p) for p in paths]))


def test_every_line_of_every_file_arrives_in_file_order(tmp_path):
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("a1\na2\na3\n")
    b.write_text("b1\nb2\n")
    out = []
    flow = Dataflow("test")
    op.output("out", op.input("in", flow, _source([a, b])), TestingSink(out))
    run_main(flow)
    assert [line for line in out if line.startswith("a")] == ["a1", "a2", "a3"]
    assert [line for line in out if line.startswith("b")] == ["b1", "b2"]


def test_a_missing_file_raises_an_error_naming_it(tmp_path):
    flow = Dataflow("test")
    op.output("out", op.input("in", flow, _source([tmp_path / "missing.txt"])), TestingSink([]))
    with pytest.raises(Exception) as raised:
        run_main(flow)
    # Bytewax wraps the connector's error; it is in the chain of causes.
    chain = []
    error = raised.value
    while error is not None:
        chain.append(error)
        error = error.__cause__
    (connector_error,) = [e for e in chain if isinstance(e, inlet.ConnectorError)]
    assert "missing.txt" in connector_error.message


def test_the_example_flow_prints_the_sample_data_on_two_workers():
    result = subprocess.run(
        [sys.executable, "-m", "bytewax.run", "examples/bytewax_flow.py", "-w", "2"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    expected = []
    for path in sorted((ROOT / "data").glob("*.txt")):
        expected += path.read_text().splitlines()
    assert sorted(result.stdout.splitlines()) == sorted(expected)
